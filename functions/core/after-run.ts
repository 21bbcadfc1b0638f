import { TAG, tagName } from './tags.js';
import {
  ROTATION_KINDS,
  type Action,
  type Finding,
  type Inventory,
  type Outcome,
  type Plan,
} from './types.js';

/**
 * The usage plans of each key after a run, without reading every plan's keys again (one call per plan
 * in API Gateway's shared budget): a key the run found keeps the plans it was in, plus those the run
 * attached it to; a rotation's new key is in the plans its rotation attached (its facts, which
 * setSecret's answers proved); a plan deleted meanwhile is in no one's list. The run's writes are the
 * only changes it knows of: a key made by hand during the run shows in no plan until the next run
 * reads them.
 */
export function carryPlanMemberships(
  before: Inventory,
  after: Inventory,
  done: Action[],
  tagPrefix: string,
): Inventory {
  const plansBefore = new Map(before.keys.map((k) => [k.id, k.planIds]));
  const attached = new Map<string, string[]>();
  const rotatedInto = new Map<string, string[]>();
  for (const action of done) {
    if (action.kind === 'attach-key')
      attached.set(action.keyId, [...(attached.get(action.keyId) ?? []), action.usagePlanId]);
    if (action.kind === 'rotate')
      rotatedInto.set(`${action.credential}\n${action.token}`, action.facts.planIds);
    if (action.kind === 'resume-rotation')
      rotatedInto.set(`${action.credential}\n${action.token}`, action.planIds);
    if (action.kind === 'onboard')
      rotatedInto.set(`${action.credential}\n${action.version}`, action.usagePlanIds);
    if (action.kind === 'rollback')
      attached.set(action.keyId, [...(attached.get(action.keyId) ?? []), ...action.attachPlanIds]);
  }
  const plans = new Set(after.plans.map((p) => p.id));
  const keys = after.keys.map((key) => {
    const rotation = `${key.tags[tagName(tagPrefix, TAG.credential)]}\n${key.tags[tagName(tagPrefix, TAG.version)]}`;
    const known = plansBefore.get(key.id) ?? rotatedInto.get(rotation) ?? [];
    const planIds = [...new Set([...known, ...(attached.get(key.id) ?? [])])].filter((p) => plans.has(p));
    return { ...key, planIds };
  });
  return { ...after, keys };
}

type Done = Pick<Outcome, 'action' | 'status'>;

/** The key an action acts on: a rotation acts on the key it replaces. */
export function actedOnKey(action: Action): string | undefined {
  if (action.kind === 'rotate') return action.currentKeyId;
  return 'keyId' in action ? action.keyId : undefined;
}

/**
 * The plan's findings as the run left them: one about a key the run then rotated away from, disabled
 * or deleted is marked resolved, so a report never lists as open what the same run fixed.
 */
export function findingsAfterRun(findings: Finding[], outcomes: Done[]): Finding[] {
  // A key id is unique within a region only: another region's key (its action's region) is not ours.
  const where = (region: string | undefined, keyId: string) => `${region ?? ''}\n${keyId}`;
  const done = new Map<string, Action['kind']>();
  for (const o of outcomes) {
    const keyId = actedOnKey(o.action);
    const region = 'region' in o.action ? o.action.region : undefined;
    if (o.status === 'done' && keyId !== undefined) done.set(where(region, keyId), o.action.kind);
  }
  const rotated = rotatedCredentials(outcomes);
  return findings.map((f) => {
    const kind = f.keyId === undefined ? undefined : done.get(where(f.region, f.keyId));
    if (kind !== undefined && kind !== 'attach-key' && kind !== 'record-disabled')
      return { ...f, resolvedByRun: kind };
    if (f.kind === 'overdue' && f.credential !== undefined && rotated.has(f.credential))
      return { ...f, resolvedByRun: 'rotate' };
    return f;
  });
}

/** Current keys still past their period plus grace once the run's rotations are done. */
export function overdueAfterRun(plan: Plan, outcomes: Done[]): number {
  if (plan.overdue === undefined) return plan.stats.overdueKeys;
  const rotated = rotatedCredentials(outcomes);
  return plan.overdue.filter((o) => !rotated.has(o.credential)).length;
}

/** The credentials a run's done rotations (started, resumed or recorded) rotated. */
function rotatedCredentials(outcomes: Done[]): Set<string | undefined> {
  return new Set(
    outcomes
      .filter((o) => o.status === 'done' && ROTATION_KINDS.includes(o.action.kind))
      .map((o) => o.action.credential),
  );
}
