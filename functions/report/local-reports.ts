import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { PeriodReport } from '../core/period-report.js';
import { REPORT_SCHEMA, type RunReport } from '../core/report.js';
import { isRunReportKey } from './files.js';
import { periodToCsv, periodToHtml } from './period.js';

/**
 * The run reports (JSON) in a local folder: the one `--report-dir` writes (the files side by side), or a
 * copy of the report bucket's history (`runs/YYYY/MM/DD/json/`, e.g. `npm run demo -- --history`).
 * In time order (the file names start with the run's time).
 */
export async function readLocalRunReports(dir: string): Promise<RunReport[]> {
  const all = (await readdir(dir, { recursive: true, encoding: 'utf8' })).map((p) => p.split(sep).join('/'));
  const names = all
    .filter((p) => (!p.includes('/') && p.endsWith('.json')) || isRunReportKey(p))
    .sort((a, b) => basename(a).localeCompare(basename(b)));
  const reports: RunReport[] = [];
  for (const name of names) {
    const parsed = JSON.parse(await readFile(join(dir, name), 'utf8')) as Partial<RunReport>;
    if (parsed.schema === REPORT_SCHEMA) reports.push(parsed as RunReport);
  }
  return reports;
}

/** Writes a period report as JSON, CSV and HTML, as run reports are; returns their paths. */
export async function writePeriodReport(
  dir: string,
  period: PeriodReport,
): Promise<{ json: string; csv: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const stem = resolve(join(dir, `period-${period.from.slice(0, 10)}-${period.to.slice(0, 10)}`));
  const paths = { json: `${stem}.json`, csv: `${stem}.csv`, html: `${stem}.html` };
  await Promise.all([
    writeFile(paths.json, `${JSON.stringify(period, null, 2)}\n`),
    writeFile(paths.csv, periodToCsv(period)),
    writeFile(paths.html, periodToHtml(period)),
  ]);
  return paths;
}
