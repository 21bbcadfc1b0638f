import { describe, expect, it } from 'vitest';
import { carryPlanMemberships } from '../../functions/core/after-run.js';
import type { Action, Inventory } from '../../functions/core/types.js';
import { inventory, key, secret } from './fixtures.js';

const plans = (ids: string[]): Inventory['plans'] =>
  ids.map((id) => ({ id, name: id, apiStages: [{ apiId: 'api', stage: id }] }));

describe('plan memberships after a run, carried over instead of read again', () => {
  const before: Inventory = {
    ...inventory(
      [
        key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', plans: ['p1', 'p2'] }),
        key({ id: 'old', credential: 'd', generation: 1, version: 'w1', plans: ['p1'] }),
      ],
      [secret('c', { v1: ['AWSCURRENT'] })],
    ),
    plans: plans(['p1', 'p2', 'p3']),
  };
  const rotate: Action = {
    kind: 'rotate',
    credential: 'c',
    secretId: 'arn:c',
    currentKeyId: 'k1',
    fromVersion: 'v1',
    token: 'v2',
    scheduleDays: 37,
    facts: { token: 'v2', generation: 2, currentKeyId: 'k1', planIds: ['p1', 'p2'] },
    reason: 'due',
  };
  const attach: Action = {
    kind: 'attach-key',
    credential: 'd',
    keyId: 'old',
    usagePlanId: 'p3',
    reason: 'r',
  };
  // As read after the run: the keys (planIds empty, the plans' keys not read), the plans left.
  const readAfter = (planIds: string[]): Inventory => ({
    ...inventory(
      [
        key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', plans: [] }),
        key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', plans: [] }),
        key({ id: 'old', credential: 'd', generation: 1, version: 'w1', plans: [] }),
        key({ id: 'by-hand', plans: [] }),
      ],
      [],
    ),
    plans: plans(planIds),
  });
  const planIdsOf = (inv: Inventory) => Object.fromEntries(inv.keys.map((k) => [k.id, k.planIds]));

  it("a rotation's new key is in its rotation's plans, an attached key in one more, the rest as read", () => {
    expect(
      planIdsOf(carryPlanMemberships(before, readAfter(['p1', 'p2', 'p3']), [rotate, attach], 'rotation:')),
    ).toEqual({
      k1: ['p1', 'p2'],
      k2: ['p1', 'p2'],
      old: ['p1', 'p3'],
      // Made by hand during the run: the run knows no plan of it.
      'by-hand': [],
    });
  });

  it('a plan deleted during the run is in no one’s list', () => {
    expect(
      planIdsOf(carryPlanMemberships(before, readAfter(['p1', 'p3']), [rotate, attach], 'rotation:')),
    ).toMatchObject({
      k1: ['p1'],
      k2: ['p1'],
    });
  });

  it('a rotation that did not happen attaches nothing', () => {
    expect(
      planIdsOf(carryPlanMemberships(before, readAfter(['p1', 'p2', 'p3']), [], 'rotation:')).k2,
    ).toEqual([]);
  });
});
