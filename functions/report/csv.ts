import type { KeyRow, RunReport } from '../core/report.js';

export const CSV_COLUMNS: (keyof KeyRow)[] = [
  'keyId',
  'keyName',
  'credential',
  'customerId',
  'generation',
  'state',
  'enabled',
  'usagePlans',
  'secretArn',
  'currentVersion',
  'previousVersion',
  'policy',
  'periodDays',
  'disableWindowDays',
  'createdAt',
  'activatedAt',
  'retiringAt',
  'disabledAt',
  'deletedAt',
  'daysSinceRotation',
  'nextRotationAt',
  'compliant',
  'trigger',
  'action',
  'reason',
  'outcome',
  'error',
  // Last, so the columns before it keep their places in older samples.
  'region',
];

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with a quote. */
export function cell(value: unknown): string {
  let text =
    value === null || value === undefined ? '' : Array.isArray(value) ? value.join(';') : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row per key, plus the run id on every row so samples from many runs can be merged. */
export function reportToCsv(report: RunReport): string {
  const header = ['runId', ...CSV_COLUMNS].join(',');
  const rows = report.keys.map((row) =>
    [cell(report.runId), ...CSV_COLUMNS.map((c) => cell(row[c]))].join(','),
  );
  return `${[header, ...rows].join('\r\n')}\r\n`;
}
