import { TAG, tagName } from './tags.js';
import type { Action, Inventory } from './types.js';

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
