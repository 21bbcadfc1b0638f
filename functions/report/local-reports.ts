import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PeriodReport } from '../core/period-report.js';
import { REPORT_SCHEMA, type RunReport } from '../core/report.js';

/** The run reports (JSON) in a local folder, such as the one `--report-dir` writes. */
export async function readLocalRunReports(dir: string): Promise<RunReport[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  const reports: RunReport[] = [];
  for (const name of names) {
    const parsed = JSON.parse(await readFile(join(dir, name), 'utf8')) as Partial<RunReport>;
    if (parsed.schema === REPORT_SCHEMA) reports.push(parsed as RunReport);
  }
  return reports;
}

/** Writes a period report as JSON; returns its path. */
export async function writePeriodReport(dir: string, period: PeriodReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = resolve(join(dir, `period-${period.from.slice(0, 10)}-${period.to.slice(0, 10)}.json`));
  await writeFile(path, `${JSON.stringify(period, null, 2)}\n`);
  return path;
}
