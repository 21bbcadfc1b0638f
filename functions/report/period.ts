import type { PeriodEvidence, PeriodReport } from '../core/period-report.js';
import { cell } from './csv.js';
import { escape, readableTime } from './html.js';

const COLUMNS: (keyof PeriodEvidence)[] = [
  'at',
  'runId',
  'trigger',
  'kind',
  'keyId',
  'region',
  'outcome',
  'reason',
  'detail',
  'error',
];
type Entry = PeriodEvidence & { credential: string; what: string };

/** Every rotation, retirement and intervention of the period, in time order, with its credential. */
function entries(p: PeriodReport): Entry[] {
  return p.credentials
    .flatMap((c) => [
      ...c.rotations.map((e) => ({ ...e, credential: c.credential, what: 'rotation' })),
      ...c.retirements.map((e) => ({ ...e, credential: c.credential, what: 'retirement' })),
      ...c.interventions.map((e) => ({ ...e, credential: c.credential, what: 'by hand' })),
    ])
    .sort((a, b) => a.at.localeCompare(b.at) || a.credential.localeCompare(b.credential));
}

/** One row per piece of evidence: what an auditor filters in a spreadsheet. */
export function periodToCsv(p: PeriodReport): string {
  const header = ['credential', 'what', ...COLUMNS].join(',');
  const rows = entries(p).map((e) =>
    [cell(e.credential), cell(e.what), ...COLUMNS.map((c) => cell(e[c]))].join(','),
  );
  return `${[header, ...rows].join('\r\n')}\r\n`;
}

/** A self-contained page: the totals, then the evidence and the exceptions, per credential. */
export function periodToHtml(p: PeriodReport): string {
  const totals = Object.entries(p.totals)
    .map(
      ([k, v]) =>
        `<div class="stat"><span class="n" data-total="${escape(k)}">${escape(v)}</span><span>${escape(k)}</span></div>`,
    )
    .join('');
  const rows = entries(p)
    .map(
      (e) =>
        `<tr class="${e.outcome === 'failed' ? 'bad' : ''}"><td>${escape(readableTime(e.at))}</td><td>${escape(e.credential)}</td><td>${escape(e.what)}</td><td>${escape(e.kind)}</td><td>${escape(e.trigger)}</td><td>${escape(e.keyId ?? '')}</td><td>${escape(e.region ?? '')}</td><td>${escape(e.outcome)}</td><td>${escape(e.error ?? e.reason)}</td></tr>`,
    )
    .join('\n');
  const exceptions = [
    ...p.credentials.flatMap((c) => c.exceptions.map((x) => ({ ...x, credential: c.credential }))),
    ...p.accountExceptions.map((x) => ({ ...x, credential: '(account)' })),
  ]
    .map(
      (x) =>
        `<li>${escape(readableTime(x.at))} <strong>${escape(x.credential)}</strong> ${escape(x.kind)}: ${escape(x.message)}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keyrot period ${escape(p.from.slice(0, 10))} to ${escape(p.to.slice(0, 10))}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
.stats{display:flex;flex-wrap:wrap;gap:.75rem}.stat{border:1px solid #ccc;border-radius:6px;padding:.5rem .75rem;min-width:7rem}
.stat .n{display:block;font-size:1.6rem;font-weight:600}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}tr.bad td{background:#fdecea}
</style></head>
<body>
<h1>API key rotation: ${escape(p.from.slice(0, 10))} to ${escape(p.to.slice(0, 10))}</h1>
<p>${escape(p.runs)} runs, the first at ${escape(readableTime(p.firstRun))}, the last at ${escape(readableTime(p.lastRun))}. Schema ${escape(p.schema)}.</p>
<div class="stats">${totals}</div>
<h2>Evidence</h2>
<table><thead><tr><th>Time</th><th>Credential</th><th>What</th><th>Action</th><th>Trigger</th><th>Key id</th><th>Region</th><th>Outcome</th><th>Reason or error</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Exceptions</h2>
${exceptions === '' ? '<p>None.</p>' : `<ul>${exceptions}</ul>`}
</body></html>
`;
}
