import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { plan } from '../../../functions/core/plan.js';
import type { Inventory } from '../../../functions/core/types.js';
import { at, config, inventory, key, secret } from '../fixtures.js';

/** Plan "open" has a stage, plan "empty" has none (a stage was removed from it). */
function account(): Inventory {
  const base = inventory(
    [
      key({ id: 'cut-off', plans: ['empty'] }),
      key({ id: 'fine', plans: ['open', 'empty'] }),
      key({ id: 'off', plans: ['empty'], enabled: false }),
      key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0, plans: ['empty'] }),
    ],
    [secret('c', { v1: ['AWSCURRENT'] }, { rotationEnabled: true })],
  );
  return {
    ...base,
    plans: [
      {
        id: 'open',
        name: 'open',
        apiStages: [{ apiId: 'api1', stage: 'prod' }],
        throttle: { rateLimit: 1 },
        quota: { limit: 1 },
      },
      { id: 'empty', name: 'empty', apiStages: [], throttle: { rateLimit: 1 }, quota: { limit: 1 } },
    ],
  };
}

const stageless = (inv: Inventory, cfg = config) =>
  plan(inv, cfg, at(10)).findings.filter((f) => f.kind === 'stageless');

describe('stageless: keys whose usage plans open no API stage', () => {
  it('an enabled key only in stageless plans, managed or not, is found; a key with one open plan, or disabled, is not', () => {
    const found = stageless(account());
    expect(found.map((f) => f.keyId)).toEqual(['cut-off', 'k1']);
    expect(found[0]).toMatchObject({ action: 'report' });
    expect(found[0]!.message).toContain('usage plans without an API stage (empty)');
    const result = plan(account(), config, at(10));
    expect(result.stats.checks.stageless).toBe(2);
    // Report only: no action about it.
    expect(result.actions.filter((a) => 'keyId' in a && a.keyId === 'cut-off')).toEqual([]);
  });

  it('ignore silences it; an exemption silences it for that key', () => {
    expect(
      stageless(account(), parseConfig({ staggerPercent: 0, hygiene: { stageless: { action: 'ignore' } } })),
    ).toEqual([]);
    const inv = account();
    inv.keys[0] = key({
      id: 'cut-off',
      plans: ['empty'],
      tags: {
        'rotation:exempt': 'stageless',
        'rotation:exempt-until': '2027-12-31',
        'rotation:exempt-reason': 'API comes next week',
      },
    });
    expect(stageless(inv).map((f) => f.keyId)).toEqual(['k1']);
  });
});
