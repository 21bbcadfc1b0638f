import { COUNTED } from '../core/checks/registry.js';
import type { KeyRow, RunReport } from '../core/report.js';

const escape = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SUMMARY: (readonly [keyof RunReport['totals'], string])[] = [
  ['keys', 'API keys'],
  ['managedKeys', 'managed'],
  ['credentials', 'credentials'],
  ['rotated', 'rotated this run'],
  ['disabled', 'disabled this run'],
  ['deleted', 'deleted this run'],
  ['overdue', 'overdue'],
  ['inGrace', 'in grace'],
  ...COUNTED.flatMap((c) => (c.total === undefined ? [] : [[c.total, c.label ?? c.total] as const])),
  ['unmanagedKeys', 'unmanaged'],
  ['failures', 'failures'],
];

/** Age of each active key against its policy's period, as an inline SVG bar chart. */
function ageChart(rows: KeyRow[]): string {
  const active = rows.filter(
    (r) => r.state === 'active' && r.daysSinceRotation !== null && r.periodDays !== null,
  );
  if (active.length === 0) return '<p>No active managed keys.</p>';
  const barHeight = 16;
  const width = 640;
  const label = 180;
  const maxDays = Math.max(...active.map((r) => Math.max(r.daysSinceRotation ?? 0, r.periodDays ?? 0)), 1);
  const scale = (days: number) => (days / maxDays) * (width - label - 10);
  const bars = active
    .map((r, i) => {
      const y = i * (barHeight + 4);
      const over = (r.daysSinceRotation ?? 0) >= (r.periodDays ?? 0);
      return [
        `<text x="0" y="${y + 12}" font-size="11">${escape(r.credential)}</text>`,
        `<rect x="${label}" y="${y}" width="${scale(r.daysSinceRotation ?? 0).toFixed(1)}" height="${barHeight}" fill="${over ? '#c0392b' : '#2e86c1'}"><title>${escape(r.credential)}: ${r.daysSinceRotation} of ${r.periodDays} days</title></rect>`,
        `<line x1="${(label + scale(r.periodDays ?? 0)).toFixed(1)}" x2="${(label + scale(r.periodDays ?? 0)).toFixed(1)}" y1="${y - 1}" y2="${y + barHeight + 1}" stroke="#000" stroke-width="2"/>`,
      ].join('');
    })
    .join('\n');
  const height = active.length * (barHeight + 4);
  return `<svg role="img" aria-label="Age of each active key against its rotation period" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">\n${bars}\n</svg>\n<p class="legend">Bar: days since the key became current. Black mark: the policy's rotation period. Red: due or overdue.</p>`;
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
      : `<ul>${report.findings.map((f) => `<li><strong>${escape(f.kind)}</strong>${f.action ? ` (${escape(f.action)})` : ''}: ${escape(f.message)}</li>`).join('')}</ul>`;
  const columns: [keyof KeyRow, string][] = [
    ['credential', 'Credential'],
    ['keyId', 'Key id'],
    ['keyName', 'Key name'],
    ['generation', 'Gen'],
    ['state', 'State'],
    ['usagePlans', 'Usage plans'],
    ['policy', 'Policy'],
    ['activatedAt', 'Current since'],
    ['daysSinceRotation', 'Days'],
    ['compliant', 'Compliant'],
    ['action', 'Action'],
    ['outcome', 'Outcome'],
  ];
  const rows = report.keys
    .map(
      (r) =>
        `<tr class="${r.compliant ? '' : 'bad'}">${columns
          .map(
            ([c]) => `<td>${escape(Array.isArray(r[c]) ? (r[c] as string[]).join(', ') : (r[c] ?? ''))}</td>`,
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
tr.bad td{background:#fdecea}.legend{font-size:.8rem;color:#555}
</style></head>
<body>
<h1>API key rotation report</h1>
<p>Run <code>${escape(report.runId)}</code> (${escape(report.trigger)}${report.dryRun ? ', dry run' : ''}) at ${escape(report.generatedAt)}. Schema ${escape(report.schema)}.</p>
<h2>Summary</h2>
<div class="stats">${summary}</div>
<h2>Findings</h2>
${findings}
<h2>Key ages</h2>
${ageChart(report.keys)}
<h2>Keys</h2>
<table><thead><tr>${columns.map(([, h]) => `<th>${escape(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
