/**
 * `npm run bench`: 10,000 keys in 300 usage plans on the emulator (keys in 1-3 plans), then a wave of
 * 1,000 due rotations under the API Gateway quotas scaled by BENCH_SCALE (default 20, so the wave
 * takes about a minute instead of twenty). Prints calls by operation, wall time and peak RSS per
 * phase; the last line is machine-readable.
 */
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { startEmulator } from '../emulator/start.js';
import { onboardCredential } from '../functions/aws/onboard.js';
import { readInventory } from '../functions/aws/inventory.js';
import { createClients, type SdkPlugin } from '../functions/commons/clients.js';
import { createLogger } from '../functions/commons/logger.js';
import { Pacer } from '../functions/commons/pacing.js';
import { parseConfig } from '../functions/core/config.js';
import { plan } from '../functions/core/plan.js';
import { addDays } from '../functions/core/time.js';
import { reconcile } from '../functions/reconcile/run.js';
import { inProcessStarter } from '../functions/rotation/starter.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const PLANS = Number(process.env.BENCH_PLANS ?? 300);
const WAVE = Number(process.env.BENCH_WAVE ?? 1_000);
const SCALE = Number(process.env.BENCH_SCALE ?? 20);
const T0 = new Date('2026-01-01T03:00:00Z');

class Calls {
  readonly byOperation: Record<string, number> = {};
  plugin(): SdkPlugin {
    return {
      applyToStack: (stack) =>
        stack.add(
          (next, context) => async (args) => {
            const op = String(context.commandName).replace(/Command$/, '');
            this.byOperation[op] = (this.byOperation[op] ?? 0) + 1;
            return next(args);
          },
          { step: 'initialize', name: 'benchCalls' },
        ),
    };
  }
  total(): number {
    return Object.values(this.byOperation).reduce((a, b) => a + b, 0);
  }
  reset(): void {
    for (const k of Object.keys(this.byOperation)) delete this.byOperation[k];
  }
}

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const print = (phase: string, ms: number, calls: Calls) => {
  const ops = Object.entries(calls.byOperation)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op}=${n}`)
    .join(' ');
  console.log(
    `${phase.padEnd(9)} ${String(Math.round(ms)).padStart(7)} ms  calls ${calls.total()}  peak RSS ${rssMb()} MB\n          ${ops}`,
  );
};

async function pool<T>(
  items: T[],
  size: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

async function main(): Promise<void> {
  const emulator = await startEmulator();
  const config = parseConfig({
    staggerPercent: 0,
    defaultPolicy: '30d',
    hygiene: { posture: { action: 'ignore' } },
  });
  const calls = new Calls();
  const clientsWith = (pacer?: Pacer) =>
    createClients({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      plugins: [calls.plugin()],
      pacer,
    });
  const log = createLogger({ sink: () => {}, level: 'SILENT' });
  try {
    console.log(
      `bench: ${KEYS} keys in ${PLANS} usage plans, a wave of ${WAVE} rotations, quotas x${SCALE}, emulator ${emulator.endpoint}`,
    );
    const seedClients = clientsWith();
    let t = performance.now();
    const plans: string[] = [];
    for (let p = 0; p < PLANS; p++) {
      const out = await seedClients.apigw.send(
        new CreateUsagePlanCommand({
          name: `plan-${p}`,
          throttle: { rateLimit: 100, burstLimit: 200 },
          quota: { limit: 1e6, period: 'DAY' },
        }),
      );
      plans.push(out.id ?? '');
    }
    const plansFor = (i: number) =>
      Array.from({ length: 1 + (i % 3) }, (_, j) => plans[(i * 7 + j * 101) % PLANS]!);
    await pool(
      Array.from({ length: WAVE }, (_, i) => i),
      8,
      async (i) => {
        await onboardCredential(
          { ...seedClients, config, now: T0 },
          { credential: `consumer-${i}`, usagePlanIds: plansFor(i) },
        );
      },
    );
    await pool(
      Array.from({ length: KEYS - WAVE }, (_, i) => i),
      8,
      async (i) => {
        const key = await seedClients.apigw.send(
          new CreateApiKeyCommand({ name: `legacy-${i}`, enabled: true }),
        );
        for (const usagePlanId of plansFor(i + WAVE)) {
          await seedClients.apigw.send(
            new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id, keyType: 'API_KEY' }),
          );
        }
      },
    );
    print('seed', performance.now() - t, calls);

    calls.reset();
    t = performance.now();
    const inventory = await readInventory(clientsWith(), config, addDays(T0, 30));
    const readMs = performance.now() - t;
    const readCalls = calls.total();
    print('inventory', readMs, calls);
    t = performance.now();
    const planned = plan(inventory, config, addDays(T0, 30));
    const planMs = performance.now() - t;
    console.log(
      `plan      ${planMs.toFixed(1).padStart(7)} ms  ${planned.actions.length} actions for ${inventory.keys.length} keys  peak RSS ${rssMb()} MB`,
    );

    calls.reset();
    const pacer = new Pacer({ scale: SCALE });
    const clients = clientsWith(pacer);
    const now = addDays(T0, 30);
    t = performance.now();
    const result = await reconcile({
      clients,
      config,
      now,
      log,
      pacer,
      concurrency: 16,
      startRotation: inProcessStarter({ ...clients, config, now: () => now, log }),
    });
    const waveMs = performance.now() - t;
    print('wave', waveMs, calls);
    const apigwCalls = Object.fromEntries(Object.entries(pacer.stats.byOperation));
    const floorMs = Math.max(
      pacer.floorMs(apigwCalls, 'apigateway'),
      pacer.floorMs(apigwCalls, 'secretsmanager'),
    );
    const rotated = result.outcomes.filter((o) => o.action.kind === 'rotate' && o.status === 'done').length;
    const failed = result.outcomes.filter((o) => o.status === 'failed');
    console.log(
      `wave      ${rotated} rotated, ${failed.length} failed, quota floor ${Math.round(floorMs)} ms, ratio ${(waveMs / floorMs).toFixed(2)}, paced ${Math.round(pacer.stats.waitedMs)} ms, throttled ${pacer.stats.throttled}`,
    );
    for (const f of failed.slice(0, 5))
      console.log(`  failed: ${f.action.kind} ${f.action.credential}: ${f.error?.name} ${f.error?.message}`);
    console.log(
      `bench keys=${inventory.keys.length} plans=${PLANS} read_calls=${readCalls} plan_ms=${Math.round(planMs)} peak_rss_mb=${rssMb()} wave=${rotated} wave_floor_ratio=${(waveMs / floorMs).toFixed(2)} throttle_errors_surfaced=${failed.filter((f) => /TooManyRequests|Throttl|LimitExceeded/.test(f.error?.name ?? '')).length}`,
    );
  } finally {
    await emulator.stop();
  }
}

await main();
