import { describe, expect, it } from 'vitest';
import { readInventory } from '../../functions/aws/inventory.js';
import { parseConfig } from '../../functions/core/config.js';
import { seedKeys } from '../../emulator/seed-account.js';
import { createPlans, dayAt, World } from '../support/world.js';

describe('inventory reads grow with keys/500 and plans, never one call per key', async () => {
  const world = new World(parseConfig({ hygiene: { posture: { action: 'ignore' } } }));
  const { apigw } = world.raw();
  const plans = await createPlans(apigw, ['gold', 'silver', 'bronze']);
  const KEYS = 1_201;
  await seedKeys(apigw, KEYS, plans);

  it('1,201 keys in 3 plans: 3 GetApiKeys pages, 1 GetUsagePlans, one GetUsagePlanKeys and one GetUsage per plan', async () => {
    world.recorder.reset();
    const inventory = await readInventory(world.clients(), world.config, dayAt(100));
    expect(inventory.keys).toHaveLength(KEYS);
    expect(inventory.keys.every((k) => k.planIds.length === 1)).toBe(true);
    const calls = Object.fromEntries(
      [
        'GetApiKeysCommand',
        'GetUsagePlansCommand',
        'GetUsagePlanKeysCommand',
        'GetUsageCommand',
        'ListSecretsCommand',
        'GetApiKeyCommand',
      ].map((c) => [c, world.recorder.count(c)]),
    );
    expect(calls).toEqual({
      GetApiKeysCommand: Math.ceil(KEYS / 500),
      GetUsagePlansCommand: 1,
      GetUsagePlanKeysCommand: 3,
      GetUsageCommand: 3,
      ListSecretsCommand: 1,
      GetApiKeyCommand: 0,
    });
  });
});
