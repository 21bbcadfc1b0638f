import { COUNTED } from '../core/checks/registry.js';
import type { KeyRow, RunReport } from '../core/report.js';

export const escape = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const TIMES: ReadonlySet<keyof KeyRow> = new Set([
  'activatedAt',
  'nextRotationAt',
  'createdAt',
  'retiringAt',
  'disabledAt',
  'deletedAt',
]);

const SUMMARY: (readonly [keyof RunReport['totals'], string])[] = [
  ['keys', 'API keys'],
  ['managedKeys', 'managed'],
  ['credentials', 'credentials'],
  ['rotated', 'rotated this run'],
  ['disabled', 'disabled this run'],
  ['deleted', 'deleted this run'],
  ['rolledBack', 'rolled back this run'],
  ['onboarded', 'onboarded this run'],
  ['overdue', 'overdue'],
  ['inGrace', 'in grace'],
  ...COUNTED.flatMap((c) => (c.total === undefined ? [] : [[c.total, c.label ?? c.total] as const])),
  ['unmanagedKeys', 'unmanaged'],
  ['failures', 'failures'],
  ['findings', 'open findings'],
];

/** "2026-04-04 03:00 UTC" from an ISO time: what an auditor reads; the JSON and CSV keep the ISO form. */
export function readableTime(iso: string | null): string {
  if (iso === null) return '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A tick step for an axis up to `max` days: about five ticks at a round number of days. */
function tickStep(max: number): number {
  for (const step of [1, 2, 5, 7, 10, 15, 30, 60, 90, 180, 365]) if (max / step <= 6) return step;
  return Math.ceil(max / 6 / 365) * 365;
}

/**
 * Age of every current (active) key against its policy's period, as an inline SVG bar chart with an
 * axis in days: a key of 0 days shows its number, a key with no valid policy has no period mark.
 */
function ageChart(rows: KeyRow[]): string {
  const active = rows.filter((r) => r.state === 'active');
  if (active.length === 0) return '<p>No active managed keys.</p>';
  const barHeight = 16;
  const gap = 4;
  const width = 720;
  const label = 180;
  const right = 60;
  const axis = 28;
  const maxDays = Math.max(...active.map((r) => Math.max(r.daysSinceRotation ?? 0, r.periodDays ?? 0)), 1);
  const step = tickStep(maxDays);
  const top = Math.ceil(maxDays / step) * step;
  const scale = (days: number) => (days / top) * (width - label - right);
  const bars = active
    .map((r, i) => {
      const y = i * (barHeight + gap);
      const days = r.daysSinceRotation ?? 0;
      const policy = r.periodDays === null ? 'no valid policy' : `${r.periodDays}-day period`;
      const fill = !r.compliant
        ? '#c0392b'
        : r.periodDays !== null && days >= r.periodDays
          ? '#e67e22'
          : '#2e86c1';
      const mark =
        r.periodDays === null
          ? ''
          : `<line x1="${(label + scale(r.periodDays)).toFixed(1)}" x2="${(label + scale(r.periodDays)).toFixed(1)}" y1="${y - 1}" y2="${y + barHeight + 1}" stroke="#000" stroke-width="2"/>`;
      return [
        `<text x="0" y="${y + 12}" font-size="11">${escape(r.credential ?? r.keyId)}</text>`,
        `<rect x="${label}" y="${y}" width="${Math.max(1, scale(days)).toFixed(1)}" height="${barHeight}" fill="${fill}"><title>${escape(r.credential ?? r.keyId)}: ${r.daysSinceRotation === null ? 'age unknown' : `${days} days`}, ${policy}</title></rect>`,
        `<text x="${(label + Math.max(1, scale(days)) + 4).toFixed(1)}" y="${y + 12}" font-size="11">${r.daysSinceRotation === null ? '?' : days} d${r.periodDays === null ? ' (no valid policy)' : ''}</text>`,
        mark,
      ].join('');
    })
    .join('\n');
  const plotHeight = active.length * (barHeight + gap);
  const ticks: string[] = [];
  for (let d = 0; d <= top; d += step) {
    const x = (label + scale(d)).toFixed(1);
    ticks.push(
      `<line x1="${x}" x2="${x}" y1="${plotHeight}" y2="${plotHeight + 5}" stroke="#555"/><text x="${x}" y="${plotHeight + 17}" font-size="10" text-anchor="middle">${d}</text>`,
    );
  }
  const axisLine = `<line x1="${label}" x2="${(label + scale(top)).toFixed(1)}" y1="${plotHeight}" y2="${plotHeight}" stroke="#555"/>`;
  const axisLabel = `<text x="${(label + scale(top) / 2).toFixed(1)}" y="${plotHeight + axis}" font-size="11" text-anchor="middle">days since the key became current</text>`;
  const height = plotHeight + axis + 4;
  return `<svg role="img" aria-label="Age in days of each current key against its rotation period" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">\n<g class="bars">${bars}</g>\n<g class="axis">${axisLine}${ticks.join('')}${axisLabel}</g>\n</svg>\n<p class="legend">Bar: days since the key became current. Black mark: the policy's rotation period. Orange: due. Red: not compliant (past period plus grace, or no valid policy).</p>`;
}

/** A self-contained page: no script, no external style or font. */
export function reportToHtml(report: RunReport): string {
  const t = report.totals;
  const summary = SUMMARY.map(
    ([k, text]) =>
      `<div class="stat"><span class="n" data-total="${k}">${escape(t[k])}</span><span>${escape(text)}</span></div>`,
  ).join('');
  const findings =
    report.findings.length === 0
      ? '<p>No findings.</p>'
      : `<ul>${report.findings.map((f) => `<li${f.resolvedByRun ? ' class="resolved"' : ''}><strong>${escape(f.kind)}</strong>${f.action ? ` (${escape(f.action)})` : ''}${f.resolvedByRun ? ` <em>resolved by this run (${escape(f.resolvedByRun)})</em>` : ''}: ${escape(f.message)}</li>`).join('')}</ul>`;
  // A multi-region credential's keys elsewhere are rows too: then each row names its region.
  const ownRegion = (r: KeyRow) => (r.region ?? report.region) === report.region;
  const regions = report.keys.some((r) => !ownRegion(r));
  const columns: [keyof KeyRow, string][] = [
    ['credential', 'Credential'],
    ['keyId', 'Key id'],
    ...(regions ? [['region', 'Region'] as [keyof KeyRow, string]] : []),
    ['keyName', 'Key name'],
    ['customerId', 'Customer'],
    ['generation', 'Gen'],
    ['state', 'State'],
    ['usagePlans', 'Usage plans'],
    ['policy', 'Policy'],
    ['activatedAt', 'Last rotated'],
    ['daysSinceRotation', 'Days'],
    ['nextRotationAt', 'Next due'],
    ['compliant', 'Compliant'],
    ['action', 'Action'],
    ['outcome', 'Outcome'],
  ];
  // Every action with the region of its key.
  const actions =
    report.actions.length === 0
      ? '<p>No actions.</p>'
      : `<table class="actions"><thead><tr>${['Action', 'Credential', 'Key id', 'Region', 'Outcome', 'Reason']
          .map((h) => `<th>${h}</th>`)
          .join('')}</tr></thead>\n<tbody>\n${report.actions
          .map(
            (a) =>
              `<tr class="${a.outcome === 'failed' ? 'bad' : ''}">${[
                a.kind,
                a.credential,
                a.keyId,
                a.region,
                a.outcome,
                a.error ?? a.reason,
              ]
                .map((v) => `<td>${escape(v ?? '')}</td>`)
                .join('')}</tr>`,
          )
          .join('\n')}\n</tbody></table>`;
  const rows = report.keys
    .map(
      (r) =>
        `<tr class="${r.compliant ? '' : 'bad'}">${columns
          .map(
            ([c]) =>
              `<td>${escape(TIMES.has(c) ? readableTime(r[c] as string | null) : Array.isArray(r[c]) ? (r[c] as string[]).join(', ') : (r[c] ?? ''))}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keyrot run ${escape(report.runId)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
.stats{display:flex;flex-wrap:wrap;gap:.75rem}.stat{border:1px solid #ccc;border-radius:6px;padding:.5rem .75rem;min-width:7rem}
.stat .n{display:block;font-size:1.6rem;font-weight:600}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
tr.bad td{background:#fdecea}.legend{font-size:.8rem;color:#555}li.resolved{color:#555}
</style></head>
<body>
<h1>API key rotation report</h1>
<p>Run <code>${escape(report.runId)}</code> (${escape(report.trigger)}${report.dryRun ? ', dry run' : ''}) at ${escape(readableTime(report.generatedAt))}. Schema ${escape(report.schema)}.</p>
<h2>Summary</h2>
<div class="stats">${summary}</div>
<h2>Findings</h2>
${findings}
<h2>Actions</h2>
${actions}
<h2>Key ages</h2>
${ageChart(report.keys.filter(ownRegion))}
<h2>Keys</h2>
<table><thead><tr>${columns.map(([, h]) => `<th>${escape(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
