/**
 * Two runs at once (the DeadLetterQueueNotEmpty runbook once started exactly that: an invoke and an
 * apply back to back) take one share of API Gateway's shared budget, not one each: the run lease
 * (functions/reconcile/hold-lease.ts) lets one run spend it while the other waits. Measured where AWS
 * would count it: the emulator's busiest 10 s of the shared bucket, at the real quotas. An emulator of
 * this file's own: quota enforcement is server-wide.
 */
import { CreateApiKeyCommand, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorQuotas } from '../../../emulator/clock-client.js';
import { startEmulator, type Emulator } from '../../../emulator/start.js';
import { keyrotPacer } from '../../../functions/commons/pacing.js';
import { parseConfig } from '../../../functions/core/config.js';
import { parseLease, RUN_LEASE_KEY } from '../../../functions/core/run-lease.js';
import { accountPlugin } from '../../support/emulator-account.js';
import { World } from '../../support/world.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
}, 60_000);
afterAll(async () => {
  await emulator.stop();
});

const KEYS = 30;
const SHARE = 0.6;

describe("API Gateway's shared budget across runs", () => {
  it('two runs started at once stay within one share over any 10 s: one waits for the run lease, then finds the work done', async () => {
    const bucket = 'keyrot-lease-shared-budget';
    const config = parseConfig({
      staggerPercent: 0,
      leaseBucket: bucket,
      pacing: { quotaScale: 1, apiGatewayShare: SHARE },
      hygiene: { orphaned: { action: 'disable' }, posture: { action: 'ignore' } },
    });
    const world = new World(config, { endpoint: emulator.endpoint });
    const s3 = new S3Client({
      region: world.region,
      endpoint: emulator.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    s3.middlewareStack.use(accountPlugin(world.accountId));
    await world.ready();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const { apigw } = world.raw();
    for (let i = 0; i < KEYS; i++)
      await apigw.send(new CreateApiKeyCommand({ name: `debris-${i}`, enabled: true }));

    // The real quotas from here; each run paces to the share on its own, as two processes do.
    await emulatorQuotas(emulator.endpoint, world.accountId, 1);
    try {
      const run = () => world.run(10, [], { pacer: keyrotPacer(config.pacing), maxAttempts: 5 });
      const [a, b] = await Promise.all([run(), run()]);
      const peak = (await emulatorQuotas(emulator.endpoint, world.accountId)).sharedPeak10s;
      expect(peak).toBeLessThanOrEqual(10 * 10 * SHARE);

      // One run disabled every key; the other waited, read the account again and found nothing to do.
      const disables = [a, b].map((r) => r.outcomes.filter((o) => o.status === 'done').length).sort();
      expect(disables).toEqual([0, KEYS]);
      expect(world.logs.some((line) => line.includes('waiting for the run lease'))).toBe(true);
      const keys = (await apigw.send(new GetApiKeysCommand({ limit: 500 }))).items ?? [];
      expect(keys.filter((k) => k.enabled)).toEqual([]);
      // The lease is left released, by the run that held it last.
      const lease = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: RUN_LEASE_KEY }));
      expect(parseLease(await lease.Body!.transformToString())).toMatchObject({
        released: true,
        holder: 'keyrot',
      });
    } finally {
      await emulatorQuotas(emulator.endpoint, world.accountId, null);
    }
  });
});
