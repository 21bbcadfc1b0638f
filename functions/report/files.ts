import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunReport } from '../core/report.js';
import { reportToCsv } from './csv.js';
import { reportToHtml } from './html.js';

/** The report's three forms, named by run time and id so that runs never overwrite each other. */
export function reportFileNames(report: RunReport): { json: string; csv: string; html: string } {
  const stem = `${report.generatedAt.replace(/[:.]/g, '-')}-${report.runId}`;
  return { json: `${stem}.json`, csv: `${stem}.csv`, html: `${stem}.html` };
}

export function renderReport(report: RunReport): { json: string; csv: string; html: string } {
  return {
    json: `${JSON.stringify(report, null, 2)}\n`,
    csv: reportToCsv(report),
    html: reportToHtml(report),
  };
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
