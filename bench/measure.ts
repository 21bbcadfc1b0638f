/**
 * `npm run bench`: 10,000 keys in 300 usage plans on the emulator (keys in 1-3 plans), then a wave of
 * 1,000 due rotations under the API Gateway quotas scaled by BENCH_SCALE (default 5: the wave
 * takes minutes instead of half an hour, and is still bound by the quotas, not by the emulator).
 * Prints calls by operation, wall time and peak RSS per phase; the last line is machine-readable.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/start.js';
import { readInventory } from '../functions/aws/inventory.js';
import { createClients, type SdkPlugin } from '../functions/commons/clients.js';
import { createLogger } from '../functions/commons/logger.js';
import { Pacer } from '../functions/commons/pacing.js';
import { benchConfig, T0 } from './bench-account.js';
import { plan } from '../functions/core/plan.js';
import { addDays } from '../functions/core/time.js';
import { reconcile } from '../functions/reconcile/run.js';
import { inProcessStarter } from '../functions/rotation/starter.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const PLANS = Number(process.env.BENCH_PLANS ?? 300);
const WAVE = Number(process.env.BENCH_WAVE ?? 1_000);
const SCALE = Number(process.env.BENCH_SCALE ?? 5);
const HERE = dirname(fileURLToPath(import.meta.url));

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

async function main(): Promise<void> {
  const emulator = await startEmulator();
  const config = benchConfig();
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
    let t = performance.now();
    // Seeding runs in a child process: the peak RSS measured here is the run's alone.
    // Asynchronously: the emulator's output must keep flowing while the child seeds.
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'seed.ts'), emulator.endpoint], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, BENCH_KEYS: String(KEYS), BENCH_PLANS: String(PLANS), BENCH_WAVE: String(WAVE) },
    });
    const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (status !== 0) throw new Error(`seeding failed (exit ${status})`);
    console.log(`seed      ${String(Math.round(performance.now() - t)).padStart(7)} ms  (child process)`);

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
    const floorMs = pacer.floorMs(pacer.stats.byOperation);
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
