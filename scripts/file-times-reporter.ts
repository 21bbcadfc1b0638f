/**
 * A vitest reporter that writes each test file's time (import, collect and run: what the file costs a
 * worker) to .cache/file-times.json, slowest first, and prints the slowest few. For finding what makes
 * the suite slow, not for asserting speed (machines here are shared and noisy).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export const FILE_TIMES = '.cache/file-times.json';

export interface FileTime {
  file: string;
  project: string;
  seconds: number;
  state: string;
  /** When vitest began running the file (after collecting it) and when it ended, in seconds from the start of the run. */
  from: number;
  to: number;
}

export default class FileTimesReporter implements Reporter {
  private readonly times: FileTime[] = [];
  private readonly runStart = Date.now();
  private readonly starts = new Map<string, number>();

  onTestModuleStart(module: TestModule): void {
    this.starts.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    const d = module.diagnostic();
    const ms =
      d.environmentSetupDuration + d.prepareDuration + d.setupDuration + d.collectDuration + d.duration;
    this.times.push({
      file: relative(process.cwd(), module.moduleId),
      project: module.project.name,
      seconds: Math.round(ms / 100) / 10,
      state: module.state(),
      from: this.offset(this.starts.get(module.moduleId) ?? Date.now()),
      to: this.offset(Date.now()),
    });
  }

  private offset(at: number): number {
    return Math.round((at - this.runStart) / 100) / 10;
  }

  onTestRunEnd(): void {
    mkdirSync('.cache', { recursive: true });
    this.times.sort((a, b) => b.seconds - a.seconds);
    writeFileSync(FILE_TIMES, `${JSON.stringify(this.times, null, 1)}\n`);
    const total = this.times.reduce((sum, t) => sum + t.seconds, 0);
    const slowest = this.times.slice(0, 8).map((t) => `  ${t.seconds.toFixed(1).padStart(6)} s  ${t.file}`);
    console.log(
      `\nslowest test files (worker time; all ${this.times.length}: ${total.toFixed(0)} s, ${FILE_TIMES}):\n${slowest.join('\n')}`,
    );
  }
}
