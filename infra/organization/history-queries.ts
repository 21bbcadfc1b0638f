/**
 * The auditor's questions, as Athena (Trino SQL) named queries over the organization's history table
 * (history-table.ts, `run_reports` in the workgroup's database). One source: the CDK stack saves these
 * texts as named queries, and test/integration/history/athena-queries.test.ts runs the same texts in
 * DuckDB over a simulated year of real run reports, with the few translations docs/organization.md lists.
 *
 * Parameters are `?` placeholders, in order: Athena asks for them in the console, or takes them as
 * ExecutionParameters of StartQueryExecution; days are written as the partitions are, 'YYYY/MM/DD'.
 */
export interface HistoryQuery {
  /** The named query's name. */
  readonly name: string;
  readonly description: string;
  /** The parameters in the order of the SQL's `?`, with an example each. */
  readonly parameters: readonly { readonly name: string; readonly example: string }[];
  readonly sql: string;
}

/** Rotation kinds, as functions/core/types.ts ROTATION_KINDS: started, resumed or recorded. */
const ROTATIONS = `('rotate', 'resume-rotation', 'record-rotation')`;

export const HISTORY_QUERIES = {
  overdueToday: {
    name: 'keyrot-credentials-overdue-today',
    description:
      "Credentials overdue today, by account and region: the overdue findings of each account's and region's latest run of the day (UTC) that the run did not resolve by rotating.",
    parameters: [],
    sql: `-- Credentials overdue today, by account and region (run it after the day's scheduled runs).
WITH today AS (
  SELECT *
  FROM run_reports
  WHERE day = replace(CAST(current_date AS varchar), '-', '/')
    AND NOT dryrun
),
latest AS (
  SELECT account, region, max(generatedat) AS generatedat
  FROM today
  GROUP BY account, region
)
SELECT r.account, r.region, f.credential, f.keyid AS key_id, f.message, r.runid AS run_id, r.generatedat AS run_at
FROM today r
JOIN latest l
  ON r.account IS NOT DISTINCT FROM l.account
  AND r.region IS NOT DISTINCT FROM l.region
  AND r.generatedat = l.generatedat
CROSS JOIN UNNEST(r.findings) AS t(f)
WHERE f.kind = 'overdue'
  AND f.resolvedbyrun IS NULL
ORDER BY r.account, r.region, f.credential
`,
  },
  rotationsOfCredential: {
    name: 'keyrot-rotations-of-credential',
    description:
      'Every rotation of one credential in a period, in every account and region: parameters credential, first day, last day (YYYY/MM/DD).',
    parameters: [
      { name: 'credential', example: "'acme-checkout'" },
      { name: 'first day', example: "'2026/01/01'" },
      { name: 'last day', example: "'2026/12/31'" },
    ],
    sql: `-- Every rotation of one credential in a period: parameters credential, first day, last day ('YYYY/MM/DD').
SELECT r.account, r.region, r.generatedat AS run_at, r.runid AS run_id, r."trigger",
  a.kind, a.keyid AS replaced_key_id, a.outcome, a.detail, a.reason
FROM run_reports r
CROSS JOIN UNNEST(r.actions) AS t(a)
WHERE a.credential = ?
  AND r.day BETWEEN ? AND ?
  AND NOT r.dryrun
  AND a.kind IN ${ROTATIONS}
  AND a.outcome = 'done'
ORDER BY r.generatedat, r.account, r.region
`,
  },
  deletedWithoutDisableWindow: {
    name: 'keyrot-keys-deleted-without-disable-window',
    description:
      "Keys deleted without a disable window (should be none): every key a run deleted (in its own region, or in another region of a multi-region credential: key_region; a key id is unique within a region only) that had not been disabled first, or not for its policy's whole disable window before (one day, the shortest a policy may have, for reports from before the window was recorded). Unmanaged keys deleted as lingering were disabled by someone else for longer than the window.",
    parameters: [],
    sql: `-- Keys deleted without a disable window: should return no row (an emergency revoke would, with its trigger).
SELECT r.account, r.region, r.generatedat AS run_at, r.runid AS run_id, r."trigger",
  k.keyid AS key_id, coalesce(k.region, r.region) AS key_region, k.credential, k.policy, k.disablewindowdays AS disable_window_days, k.disabledat AS disabled_at, k.deletedat AS deleted_at, k.reason
FROM run_reports r
CROSS JOIN UNNEST(r.keys) AS t(k)
WHERE k.state = 'deleted'
  AND NOT r.dryrun
  AND (
    k.disabledat IS NULL
    OR from_iso8601_timestamp(k.deletedat)
      < from_iso8601_timestamp(k.disabledat) + INTERVAL '1' DAY * coalesce(k.disablewindowdays, 1)
  )
  AND NOT (k.credential IS NULL AND k.disabledat IS NULL AND k.reason LIKE 'lingering:%')
ORDER BY r.generatedat, r.account, r.region, coalesce(k.region, r.region), k.keyid
`,
  },
  expiredExemptions: {
    name: 'keyrot-expired-exemptions',
    description:
      'Exceptions with expired exemptions: keys whose exemption tag ran out while they still carried it, by account and region, with the first and last run that flagged each in a period: parameters first day, last day (YYYY/MM/DD).',
    parameters: [
      { name: 'first day', example: "'2026/01/01'" },
      { name: 'last day', example: "'2026/12/31'" },
    ],
    sql: `-- Exceptions with expired exemptions in a period: parameters first day, last day ('YYYY/MM/DD').
SELECT r.account, r.region, f.keyid AS key_id, f.tag, f.exemptuntil AS exempt_until,
  min(r.generatedat) AS first_flagged, max(r.generatedat) AS last_flagged, count(*) AS runs
FROM run_reports r
CROSS JOIN UNNEST(r.findings) AS t(f)
WHERE r.day BETWEEN ? AND ?
  AND NOT r.dryrun
  AND f.kind = 'exemption-expired'
GROUP BY r.account, r.region, f.keyid, f.tag, f.exemptuntil
ORDER BY r.account, r.region, f.keyid
`,
  },
} as const satisfies Record<string, HistoryQuery>;
