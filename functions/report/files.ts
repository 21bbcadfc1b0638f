import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { RUNS_PREFIX, type RunReport } from '../core/report.js';
import { reportToCsv } from './csv.js';
import { reportToHtml } from './html.js';

/** The report's three forms, named by run time and id so that runs never overwrite each other. */
export function reportFileNames(report: RunReport): { json: string; csv: string; html: string } {
  const stem = `${report.generatedAt.replace(/[:.]/g, '-')}-${report.runId}`;
  return { json: `${stem}.json`, csv: `${stem}.csv`, html: `${stem}.html` };
}

/** The three forms for people and tools: JSON pretty-printed (what `--report-dir` writes). */
export function renderReport(report: RunReport): { json: string; csv: string; html: string } {
  return {
    json: `${JSON.stringify(report, null, 2)}\n`,
    csv: reportToCsv(report),
    html: reportToHtml(report),
  };
}

/** runs/YYYY/MM/DD/: one folder a day (UTC), so a period lists cheaply and Athena projects the day. */
export function dayFolder(iso: string): string {
  return `${RUNS_PREFIX}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/`;
}

export interface HistoryObject {
  /** runs/YYYY/MM/DD/<form>/<time>-<runId>.<form> */
  key: string;
  body: string;
  contentType: string;
}

/**
 * A run report as the history stores it (the report bucket, its replica in the organization's central
 * bucket, `demo --history`): each form in a folder of its own under the day, `runs/YYYY/MM/DD/json/`,
 * `.../csv/`, `.../html/`, and the JSON on one line. Athena's JSON SerDe reads every file under a
 * partition's location and wants one object per line: the `json/` folders are that. (Reports written
 * before this layout sit beside the folders, `runs/YYYY/MM/DD/<stem>.json` pretty-printed; readers take
 * both, Athena only the new.)
 */
export function historyObjects(report: RunReport): HistoryObject[] {
  const names = reportFileNames(report);
  const folder = dayFolder(report.generatedAt);
  return [
    {
      key: `${folder}json/${names.json}`,
      body: `${JSON.stringify(report)}\n`,
      contentType: 'application/json',
    },
    { key: `${folder}csv/${names.csv}`, body: reportToCsv(report), contentType: 'text/csv; charset=utf-8' },
    {
      key: `${folder}html/${names.html}`,
      body: reportToHtml(report),
      contentType: 'text/html; charset=utf-8',
    },
  ];
}

/** Whether an object key under runs/ is a JSON run report, in the current layout or the first one. */
export function isRunReportKey(key: string): boolean {
  return /^runs\/\d{4}\/\d{2}\/\d{2}\/(json\/)?[^/]+\.json$/.test(key);
}

/** Writes a report into a local copy of the history's layout under `root` (root/runs/...); returns the paths. */
export async function writeHistoryFiles(root: string, report: RunReport): Promise<string[]> {
  const objects = historyObjects(report);
  const paths = objects.map((o) => resolve(join(root, o.key)));
  await Promise.all(
    objects.map(async (o, i) => {
      await mkdir(dirname(paths[i]!), { recursive: true });
      await writeFile(paths[i]!, o.body);
    }),
  );
  return paths;
}

/** Writes JSON, CSV and HTML to a local folder; returns their paths. */
export async function writeReportFiles(
  dir: string,
  report: RunReport,
): Promise<{ json: string; csv: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const names = reportFileNames(report);
  const bodies = renderReport(report);
  const paths = {
    json: resolve(join(dir, names.json)),
    csv: resolve(join(dir, names.csv)),
    html: resolve(join(dir, names.html)),
  };
  await Promise.all([
    writeFile(paths.json, bodies.json),
    writeFile(paths.csv, bodies.csv),
    writeFile(paths.html, bodies.html),
  ]);
  return paths;
}
