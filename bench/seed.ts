/** Seeds the benchmark account (run by rotation-wave.ts in a child process). */
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
} from '@aws-sdk/client-api-gateway';
import pLimit from 'p-limit';
import { onboardCredential } from '../functions/onboarding/onboard.js';
import { createClients } from '../functions/commons/clients.js';
import { callerDrivesRotationPlugin } from '../functions/rotation/starter.js';
import { benchConfig, T0 } from './bench-account.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [endpoint] = process.argv.slice(2);
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const PLANS = Number(process.env.BENCH_PLANS ?? 300);
const WAVE = Number(process.env.BENCH_WAVE ?? 1_000);

const config = benchConfig();
// Onboarding's RotateSecret (RotateImmediately=false) only configures rotation here: the emulator keeps
// the books and runs no configuration test, so the seeding does not wait on thousands of them.
const clients = createClients({
  plugins: [callerDrivesRotationPlugin],
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});
const plans: string[] = [];
for (let p = 0; p < PLANS; p++) {
  const out = await clients.apigw.send(
    new CreateUsagePlanCommand({
      name: `plan-${p}`,
      throttle: { rateLimit: 100, burstLimit: 200 },
      quota: { limit: 1e6, period: 'DAY' },
    }),
  );
  plans.push(out.id ?? '');
}
// Keys in 1 to 3 plans, spread over all of them.
const plansFor = (i: number) =>
  Array.from({ length: 1 + (i % 3) }, (_, j) => plans[(i * 7 + j * 101) % PLANS]!);
const limit = pLimit(8);
await Promise.all(
  Array.from({ length: WAVE }, (_, i) =>
    limit(() =>
      onboardCredential(
        { ...clients, config, now: T0 },
        { credential: `consumer-${i}`, usagePlanIds: plansFor(i) },
      ),
    ),
  ),
);
await Promise.all(
  Array.from({ length: KEYS - WAVE }, (_, i) =>
    limit(async () => {
      const key = await clients.apigw.send(new CreateApiKeyCommand({ name: `legacy-${i}`, enabled: true }));
      for (const usagePlanId of plansFor(i + WAVE)) {
        await clients.apigw.send(
          new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id, keyType: 'API_KEY' }),
        );
      }
    }),
  ),
);

// The SDK's keep-alive sockets would hold the process open.
process.exit(0);
