/**
 * The Glue table over the organization's run reports (docs/reports.md, `keyrot/run-report@1`): one row
 * per run report, one column per top-level field, the nested rows as arrays of structs. Timestamps stay
 * ISO-8601 strings as the report writes them (`from_iso8601_timestamp` reads them in a query). Names are
 * the report's (camelCase); Glue and the JSON SerDe see them lowercased, and SQL names are
 * case-insensitive, so a query writes `generatedat` or `generatedAt` alike.
 *
 * test/integration/history/athena-queries.test.ts reads real reports with exactly these columns (in
 * DuckDB), and fails on a report field that no column holds.
 */
export interface HistoryColumn {
  readonly name: string;
  /** A Hive type, as Glue stores it: string, boolean, int, double, array<...>, struct<name:type,...>. */
  readonly type: string;
  readonly comment: string;
}

const struct = (fields: Record<string, string>) =>
  `struct<${Object.entries(fields)
    .map(([name, type]) => `${name}:${type}`)
    .join(',')}>`;

const KEY_ROW = struct({
  keyId: 'string',
  keyName: 'string',
  region: 'string',
  credential: 'string',
  customerId: 'string',
  generation: 'int',
  usagePlans: 'array<string>',
  secretArn: 'string',
  currentVersion: 'string',
  previousVersion: 'string',
  state: 'string',
  enabled: 'boolean',
  policy: 'string',
  periodDays: 'int',
  disableWindowDays: 'int',
  createdAt: 'string',
  activatedAt: 'string',
  retiringAt: 'string',
  disabledAt: 'string',
  deletedAt: 'string',
  daysSinceRotation: 'double',
  nextRotationAt: 'string',
  suspendedSince: 'string',
  suspendReason: 'string',
  compliant: 'boolean',
  trigger: 'string',
  action: 'string',
  reason: 'string',
  outcome: 'string',
  error: 'string',
});

const ACTION_ROW = struct({
  kind: 'string',
  credential: 'string',
  keyId: 'string',
  region: 'string',
  reason: 'string',
  outcome: 'string',
  detail: 'string',
  error: 'string',
});

const FINDING = struct({
  kind: 'string',
  message: 'string',
  credential: 'string',
  keyId: 'string',
  region: 'string',
  tag: 'string',
  usagePlanId: 'string',
  apiId: 'string',
  action: 'string',
  exemptUntil: 'string',
  resolvedByRun: 'string',
});

const TOTALS = struct(
  Object.fromEntries(
    [
      'keys',
      'managedKeys',
      'unmanagedKeys',
      'credentials',
      'overdue',
      'failures',
      'deferred',
      'inGrace',
      'rotated',
      'disabled',
      'deleted',
      'rolledBack',
      'onboarded',
      'findings',
      // The counted hygiene checks (functions/core/checks/registry.ts).
      'unused',
      'orphaned',
      'stageless',
    ].map((name) => [name, 'int']),
  ),
);

export const HISTORY_COLUMNS: readonly HistoryColumn[] = [
  { name: 'schema', type: 'string', comment: 'keyrot/run-report@1' },
  { name: 'runId', type: 'string', comment: "the run's id" },
  { name: 'trigger', type: 'string', comment: 'schedule, manual or emergency' },
  { name: 'dryRun', type: 'boolean', comment: 'keyrot plan: nothing was written' },
  { name: 'generatedAt', type: 'string', comment: "the run's time, ISO-8601 UTC" },
  { name: 'account', type: 'string', comment: 'the account the run worked in' },
  { name: 'region', type: 'string', comment: 'the region the run worked in' },
  { name: 'totals', type: TOTALS, comment: 'the counts of the run' },
  {
    name: 'keys',
    type: `array<${KEY_ROW}>`,
    comment: 'one row per key after the run, and per key it deleted',
  },
  { name: 'actions', type: `array<${ACTION_ROW}>`, comment: 'every planned action, its reason and outcome' },
  { name: 'findings', type: `array<${FINDING}>`, comment: 'every finding of the run' },
];

/** The partition column: the day folder runs/YYYY/MM/DD/ as `YYYY/MM/DD` (UTC). */
export const DAY_PARTITION = 'day';
/** The day folders' format, as Glue partition projection (Java DateTimeFormatter) writes it. */
export const DAY_FORMAT = 'yyyy/MM/dd';
