import { COUNTED, type CheckTotal, type Counts } from './checks/registry.js';
import type { Config } from './config.js';
import {
  indexCredentials,
  nextRotationAt,
  resolvePolicy,
  currentSince,
  overdueSince,
  successorOf,
  versionWithStage,
  type ManagedKey,
} from './credentials.js';
import { actedOnKey, findingsAfterRun, overdueAfterRun } from './after-run.js';
import {
  ROTATION_KINDS,
  type Action,
  type Finding,
  type Inventory,
  type Plan,
  type RegionKeys,
  type Trigger,
} from './types.js';
import { keysElsewhere, otherRegionsAfterRun } from './region-keys.js';
import { STAGE } from './stages.js';
import { standingSuspension } from './suspension.js';

/** The totals the counted checks add: `unused`, `orphaned`, ... (checks/registry.ts). */
function checkTotals(counts: Counts): Record<CheckTotal, number> {
  const totals = {} as Record<CheckTotal, number>;
  for (const c of COUNTED) if (c.total !== undefined) totals[c.total] = counts[c.name];
  return totals;
}

export const REPORT_SCHEMA = 'keyrot/run-report@1';

/** Where the history of run reports lives: the report bucket, its replica in the central bucket, `demo --history`. */
export const RUNS_PREFIX = 'runs/';

export type KeyState = 'pending' | 'active' | 'retiring' | 'disabled' | 'deleted' | 'unmanaged';

/** One row per key: what compliance samples. Never the key's value. */
export interface KeyRow {
  keyId: string;
  keyName: string;
  /**
   * The key's region: another region's for a multi-region credential's key there (its usage plans there
   * are not read: `usagePlans` is empty), else the run's own (null when the run's region could not be
   * read). A key id is unique within a region only.
   */
  region: string | null;
  credential: string | null;
  /** Who the key was issued to (developer portal, AWS Marketplace); null when none. */
  customerId: string | null;
  generation: number | null;
  usagePlans: string[];
  secretArn: string | null;
  currentVersion: string | null;
  previousVersion: string | null;
  state: KeyState;
  enabled: boolean;
  policy: string | null;
  periodDays: number | null;
  /** The policy's disable window: how long a key stays disabled before keyrot deletes it. */
  disableWindowDays: number | null;
  createdAt: string | null;
  activatedAt: string | null;
  retiringAt: string | null;
  disabledAt: string | null;
  deletedAt: string | null;
  daysSinceRotation: number | null;
  /** For the active key: when its policy makes the next rotation due (null while its consumer is cut off). */
  nextRotationAt: string | null;
  /**
   * For the active key of a credential whose consumer is cut off: why (the suspension's reason, or
   * "current key disabled outside keyrot") and since when (a suspension's time). Not overdue meanwhile.
   */
  suspendedSince: string | null;
  suspendReason: string | null;
  compliant: boolean;
  trigger: Trigger | null;
  action: string | null;
  reason: string | null;
  outcome: 'done' | 'failed' | 'deferred' | 'started' | 'planned' | null;
  error: string | null;
}

export interface ActionRow {
  kind: Action['kind'];
  credential: string | null;
  keyId: string | null;
  /**
   * The region of the key acted on: another region's for a multi-region credential's key there, else
   * the run's own (null when the run's region could not be read).
   */
  region: string | null;
  reason: string;
  outcome: 'done' | 'failed' | 'deferred' | 'started' | 'planned';
  detail: string | null;
  error: string | null;
}

export interface RunReport {
  schema: typeof REPORT_SCHEMA;
  runId: string;
  trigger: Trigger;
  dryRun: boolean;
  generatedAt: string;
  /** The account and region of the run (null when they could not be read): the history's keys. */
  account: string | null;
  region: string | null;
  /** Counts of keys (keys, managedKeys, unmanagedKeys, credentials, inGrace) are the run's region's. */
  totals: {
    keys: number;
    managedKeys: number;
    unmanagedKeys: number;
    credentials: number;
    overdue: number;
    failures: number;
    /** Actions left for the next run because this one neared its deadline. */
    deferred: number;
    inGrace: number;
    rotated: number;
    disabled: number;
    deleted: number;
    /** keyrot rollback and keyrot onboard runs: what on-call engineers did by hand. */
    rolledBack: number;
    onboarded: number;
    findings: number;
  } & Record<CheckTotal, number>;
  keys: KeyRow[];
  actions: ActionRow[];
  findings: Finding[];
}

export interface OutcomeLike {
  action: Action;
  status: 'done' | 'failed' | 'deferred' | 'started';
  detail?: string | undefined;
  error?: { name: string; message: string } | undefined;
}

export interface ReportInput {
  runId: string;
  /** The run's account and region. @default unknown (null) */
  where?: { account: string | null; region: string | null } | undefined;
  trigger: Trigger;
  dryRun: boolean;
  now: Date;
  config: Config;
  /** What the run planned from. */
  before: Inventory;
  plan: Plan;
  outcomes: OutcomeLike[];
  /** The account after the run's writes; the same as `before` when nothing was written. */
  after: Inventory;
}

const iso = (date: Date | undefined) => (date === undefined ? null : date.toISOString());
const keyOf = (action: Action): string | null => actedOnKey(action) ?? null;
/** A key id is unique within a region only. */
const inRegion = (region: string | null, keyId: string) => `${region ?? ''}\n${keyId}`;

/** The run's report: every key after the run (and those it deleted), every action, every finding. */
export function buildRunReport(input: ReportInput): RunReport {
  const { config, now } = input;
  const here = input.where?.region ?? null;
  const outcomeOf = new Map(input.outcomes.map((o) => [o.action, o]));
  const actionRows: ActionRow[] = input.plan.actions.map((action) => {
    const o = outcomeOf.get(action);
    return {
      kind: action.kind,
      credential: action.credential ?? null,
      keyId: keyOf(action),
      region: ('region' in action ? action.region : undefined) ?? here,
      reason: action.reason,
      outcome: input.dryRun || o === undefined ? 'planned' : o.status,
      detail: o?.detail ?? null,
      error: o?.error === undefined ? null : `${o.error.name}: ${o.error.message}`,
    };
  });
  // Credential-level actions are shown on the key that was current when the run planned them.
  const beforeIndex = indexCredentials(input.before, config);
  const currentKey = new Map<string, string>();
  for (const c of beforeIndex.credentials) {
    const version = c.secret === undefined ? undefined : versionWithStage(c.secret, STAGE.current);
    const key = c.keys.find((k) => k.version !== undefined && k.version === version);
    if (key !== undefined) currentKey.set(c.name, key.key.id);
  }
  const byKey = new Map<string, ActionRow>();
  for (const row of actionRows) {
    const keyId = row.keyId ?? currentKey.get(row.credential ?? '');
    if (keyId !== undefined) byKey.set(inRegion(row.keyId === null ? here : row.region, keyId), row);
  }

  const index = indexCredentials(input.after, config);
  const siblings = (m: ManagedKey) =>
    [...index.credentials, ...beforeIndex.credentials]
      .filter((c) => c.name === m.credential)
      .flatMap((c) => c.keys);
  const secrets = new Map(index.credentials.map((c) => [c.name, c.secret]));
  const rows: KeyRow[] = [];
  const managed = new Map(index.credentials.flatMap((c) => c.keys.map((k) => [k.key.id, k] as const)));
  for (const key of input.after.keys) {
    const m = managed.get(key.id);
    const row =
      m === undefined
        ? unmanagedRow(key.id, key.name, here, key.enabled, key.planIds, key.createdDate, key.customerId)
        : managedRow(m, secrets.get(m.credential), input, here);
    attachAction(row, byKey.get(inRegion(here, key.id)), input.trigger);
    rows.push(row);
  }
  const present = new Set(input.after.keys.map((k) => k.id));
  const beforeManaged = new Map(
    beforeIndex.credentials.flatMap((c) => c.keys.map((k) => [k.key.id, k] as const)),
  );
  for (const key of input.before.keys) {
    if (present.has(key.id)) continue;
    const m = beforeManaged.get(key.id);
    const row =
      m === undefined
        ? unmanagedRow(key.id, key.name, here, false, key.planIds, key.createdDate, key.customerId)
        : managedRow(
            m,
            secrets.get(m.credential) ?? beforeIndex.credentials.find((c) => c.name === m.credential)?.secret,
            input,
            here,
          );
    markDeleted(row);
    attachAction(row, byKey.get(inRegion(here, key.id)), input.trigger);
    rows.push(row);
  }
  // A multi-region credential's keys in its other regions, each with its region, as the run left them.
  const homeRows = rows.length;
  const elsewhereBefore = keysElsewhere(input.before, config);
  const elsewhereAfter = keysElsewhere({ ...input.after, otherRegions: otherRegionsLeft(input) }, config);
  const presentElsewhere = new Set(elsewhereAfter.map((k) => inRegion(k.region, k.managed.key.id)));
  for (const { region, managed: m, secret } of elsewhereAfter) {
    const row = managedRow(m, secrets.get(m.credential) ?? secret, input, region);
    attachAction(row, byKey.get(inRegion(region, m.key.id)), input.trigger);
    rows.push(row);
  }
  for (const { region, managed: m, secret } of elsewhereBefore) {
    if (presentElsewhere.has(inRegion(region, m.key.id))) continue;
    const row = managedRow(m, secrets.get(m.credential) ?? secret, input, region);
    markDeleted(row);
    attachAction(row, byKey.get(inRegion(region, m.key.id)), input.trigger);
    rows.push(row);
  }
  const ownRows = new Set(rows.slice(0, homeRows));
  function markDeleted(row: KeyRow): void {
    row.state = 'deleted';
    row.enabled = false;
    row.deletedAt = now.toISOString();
    row.usagePlans = [];
    row.compliant = true;
  }
  // By credential and generation, the run's region first; unmanaged keys last.
  rows.sort(
    (a, b) =>
      Number(a.credential === null) - Number(b.credential === null) ||
      (a.credential ?? '').localeCompare(b.credential ?? '') ||
      (a.generation ?? 0) - (b.generation ?? 0) ||
      Number(!ownRows.has(a)) - Number(!ownRows.has(b)) ||
      (a.region ?? '').localeCompare(b.region ?? '') ||
      a.keyId.localeCompare(b.keyId),
  );
  // The counts of keys are the run's region's: its key quota, its metrics.
  const own = rows.filter((r) => ownRows.has(r));

  const findings = input.dryRun ? input.plan.findings : findingsAfterRun(input.plan.findings, input.outcomes);
  const done = (kinds: string[]) =>
    actionRows.filter((a) => kinds.includes(a.kind) && a.outcome === 'done').length;
  const s = input.plan.stats;
  return {
    schema: REPORT_SCHEMA,
    runId: input.runId,
    trigger: input.trigger,
    dryRun: input.dryRun,
    generatedAt: now.toISOString(),
    account: input.where?.account ?? null,
    region: input.where?.region ?? null,
    // Counts of keys describe the account as the run left it (the rows); findings, as planned.
    totals: {
      keys: present.size,
      managedKeys: own.filter((r) => r.state !== 'deleted' && r.credential !== null).length,
      unmanagedKeys: own.filter((r) => r.state === 'unmanaged').length,
      credentials: new Set(
        own.filter((r) => r.state !== 'deleted' && r.credential !== null).map((r) => r.credential),
      ).size,
      // As the run left the account, like the rows: a key it rotated is no longer overdue.
      overdue: input.dryRun ? s.overdueKeys : overdueAfterRun(input.plan, input.outcomes),
      failures: actionRows.filter((a) => a.outcome === 'failed').length,
      deferred: actionRows.filter((a) => a.outcome === 'deferred').length,
      ...checkTotals(s.checks),
      inGrace: own.filter((r) => r.state === 'retiring').length,
      rotated: done([...ROTATION_KINDS]),
      disabled: done(['disable-key']),
      deleted: done(['delete-key']),
      rolledBack: done(['rollback']),
      onboarded: done(['onboard']),
      findings: findings.filter((f) => f.resolvedByRun === undefined).length,
    },
    keys: rows,
    actions: actionRows,
    findings,
  };

  function managedRow(
    m: ManagedKey,
    secret: Inventory['secrets'][number] | undefined,
    r: ReportInput,
    region: string | null,
  ): KeyRow {
    const current = secret === undefined ? undefined : versionWithStage(secret, STAGE.current);
    const pending = secret === undefined ? undefined : versionWithStage(secret, STAGE.pending);
    const previous = secret === undefined ? undefined : versionWithStage(secret, STAGE.previous);
    const choice = resolvePolicy(m, config);
    const policy = choice.ok ? choice.policy : undefined;
    let state: KeyState;
    if (m.version !== undefined && m.version === current) state = 'active';
    else if (m.version !== undefined && m.version === pending) state = 'pending';
    else state = m.key.enabled ? 'retiring' : 'disabled';
    const since = m.activatedAt ?? m.createdAt;
    const age = since === undefined ? null : Math.floor((r.now.getTime() - since.getTime()) / 86_400_000);
    const suspension =
      secret === undefined ? undefined : standingSuspension(config.tagPrefix, secret, m.credential, current);
    const cutOff = state === 'active' && (suspension !== undefined || !m.key.enabled);
    // An active key is compliant while it is not overdue (the planner's own rule); one cut off on
    // purpose is not overdue, as the planner holds it.
    const compliant =
      state !== 'active' ||
      cutOff ||
      (policy !== undefined && since !== undefined && overdueSince(m, policy, r.now) === undefined);
    const successor = successorOf(m, siblings(m));
    return {
      keyId: m.key.id,
      keyName: m.key.name,
      region,
      credential: m.credential,
      customerId: m.key.customerId ?? null,
      generation: m.generation ?? null,
      usagePlans: [...m.key.planIds].sort(),
      secretArn: secret?.arn ?? null,
      currentVersion: current ?? null,
      previousVersion: previous ?? null,
      state,
      enabled: m.key.enabled,
      policy: choice.ok ? choice.name : (m.policyName ?? null),
      periodDays: policy?.periodDays ?? null,
      disableWindowDays: policy?.disableWindowDays ?? null,
      createdAt: iso(m.createdAt),
      activatedAt: iso(m.activatedAt),
      retiringAt:
        state === 'active' || state === 'pending' ? null : iso(successor && currentSince(successor)),
      disabledAt: iso(m.disabledAt),
      deletedAt: null,
      daysSinceRotation: state === 'active' ? age : null,
      // The date the planner rotates on (staggering included), so status and plan agree.
      nextRotationAt:
        state === 'active' && !cutOff && secret !== undefined && policy !== undefined
          ? iso(nextRotationAt(m, secret, policy, config))
          : null,
      suspendedSince: cutOff ? iso(suspension?.since) : null,
      suspendReason: cutOff ? (suspension?.reason ?? 'current key disabled outside keyrot') : null,
      compliant,
      trigger: null,
      action: null,
      reason: null,
      outcome: null,
      error: null,
    };
  }
}

function unmanagedRow(
  keyId: string,
  keyName: string,
  region: string | null,
  enabled: boolean,
  planIds: string[],
  created: Date | undefined,
  customerId: string | undefined,
): KeyRow {
  return {
    keyId,
    keyName,
    region,
    credential: null,
    customerId: customerId ?? null,
    generation: null,
    usagePlans: [...planIds].sort(),
    secretArn: null,
    currentVersion: null,
    previousVersion: null,
    state: 'unmanaged',
    enabled,
    policy: null,
    periodDays: null,
    disableWindowDays: null,
    createdAt: iso(created),
    activatedAt: null,
    retiringAt: null,
    disabledAt: null,
    deletedAt: null,
    daysSinceRotation: null,
    nextRotationAt: null,
    suspendedSince: null,
    suspendReason: null,
    compliant: false,
    trigger: null,
    action: null,
    reason: null,
    outcome: null,
    error: null,
  };
}

/**
 * The other regions as the run left them: read again after the run where it could be, else as the run
 * read them with its own actions there applied.
 */
function otherRegionsLeft(input: ReportInput): RegionKeys[] {
  const before = input.before.otherRegions ?? [];
  if (input.after === input.before) return before;
  const reread = new Map((input.after.otherRegions ?? []).map((r) => [r.region, r]));
  const done = input.outcomes.filter((o) => o.status === 'done').map((o) => o.action);
  return otherRegionsAfterRun(before, done, input.config.tagPrefix, input.now).map(
    (r) => reread.get(r.region) ?? r,
  );
}

function attachAction(row: KeyRow, action: ActionRow | undefined, trigger: Trigger): void {
  if (action === undefined) return;
  row.action = action.kind;
  row.reason = action.reason;
  row.outcome = action.outcome;
  row.error = action.error;
  row.trigger = trigger;
}
