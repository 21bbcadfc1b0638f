import { GetApiKeyCommand, UpdateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { DETAIL_TYPE, runEvents } from '../../../functions/core/events.js';
import { deployedWorld, rotationsSettled, TEST_PACING, useTimedEmulator } from '../../support/deployed.js';
import { readAwsState } from '../../support/world.js';

const config = parseConfig({ pacing: TEST_PACING, staggerPercent: 0, defaultPolicy: '30d' });
const emulator = useTimedEmulator();

/**
 * Keys issued to customers (the API Gateway developer portal names the customer in customerId and the
 * description; AWS Marketplace meters by customerId): every generation keeps them (issue 14).
 */
describe("a customer's key keeps its customer across rotations", () => {
  it('customerId and description on every generation, read back with a plain SDK call; the events and the report name the customer', async () => {
    const { world, onboarded } = await deployedWorld(emulator.endpoint(), config, ['portal-acme']);
    const { apigw } = world.raw();
    // As the developer portal issues a key: the customer's id and a description of its own.
    await apigw.send(
      new UpdateApiKeyCommand({
        apiKey: onboarded[0]!.keyId,
        patchOperations: [
          { op: 'replace', path: '/customerId', value: 'cust-4711' },
          { op: 'replace', path: '/description', value: 'Acme Corp, issued by the developer portal' },
        ],
      }),
    );
    const customers: (string | null)[] = [];
    for (const day of [30, 60, 90]) {
      const run = await world.run(day);
      expect(run.outcomes.filter((o) => o.action.kind === 'rotate').map((o) => o.status)).toEqual(['done']);
      const rotated = runEvents(run, run.outcomes, []).filter((e) => e.detailType === DETAIL_TYPE.rotated);
      customers.push(...rotated.map((e) => e.detail.customerId as string | null));
      const row = run.report.keys.find((k) => k.credential === 'portal-acme' && k.state === 'active');
      expect(row?.customerId).toBe('cust-4711');
    }
    await rotationsSettled(world.endpoint);
    expect(customers).toEqual(['cust-4711', 'cust-4711', 'cust-4711']);
    const keys = (await readAwsState(world)).keys.filter(
      (k) => k.tags['rotation:credential'] === 'portal-acme',
    );
    const generations = await Promise.all(
      keys.map(async (k) => {
        const key = await apigw.send(new GetApiKeyCommand({ apiKey: k.id }));
        return [k.tags['rotation:generation'], key.customerId, key.description];
      }),
    );
    // Generation 1 was deleted after its disable window; the three rotations made 2, 3 and 4.
    expect(generations.sort().filter(([g]) => g !== '1')).toEqual(
      ['2', '3', '4'].map((g) => [g, 'cust-4711', 'Acme Corp, issued by the developer portal']),
    );
  }, 240_000);
});
