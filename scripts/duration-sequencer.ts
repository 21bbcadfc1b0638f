/**
 * vitest's order, slowest file first, also on a fresh clone. vitest sorts by the durations it cached in
 * node_modules on the last run; a fresh clone has none, and vitest's fallback (largest file first) starts
 * the year-long lifecycle files two thirds into the run, where they make its tail. Without a cached
 * duration, the one in test/file-times.json (npm run test:times) is used. Only the order changes.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const KNOWN_TIMES = 'test/file-times.json';

/** Seconds per `project:file`, as measured on a full run; unknown files are taken as slow (run first). */
function knownTimes(): Map<string, number> {
  try {
    const rows = JSON.parse(readFileSync(KNOWN_TIMES, 'utf8')) as {
      project: string;
      file: string;
      seconds: number;
    }[];
    return new Map(rows.map((r) => [`${r.project}:${r.file}`, r.seconds * 1000]));
  } catch {
    return new Map();
  }
}

export default class DurationSequencer extends BaseSequencer {
  private readonly known = knownTimes();

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const key = (spec: TestSpecification) => `${spec.project.name}:${relative(config.root, spec.moduleId)}`;
    const rank = (spec: TestSpecification) => {
      const cached = cache.getFileTestResults(key(spec));
      // As vitest: failed files first, then the slowest.
      if (cached?.failed === true) return Infinity;
      return cached?.duration ?? this.known.get(key(spec)) ?? Number.MAX_VALUE;
    };
    return [...files].sort((a, b) => {
      // As vitest: projects in name order (their files overlap in the pool all the same).
      if (a.project.name !== b.project.name) return a.project.name < b.project.name ? -1 : 1;
      return rank(b) - rank(a);
    });
  }
}
