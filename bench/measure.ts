/**
 * The measured part of `npm run bench` (bench/rotation-wave.ts seeds the account, bundles this file
 * with esbuild and runs it with plain node, as the Lambda runs its bundle): read the inventory, plan,
 * run the wave under the paced quotas. Prints calls by operation, wall time and peak RSS per phase;
 * the last line is machine-readable.
 */
import { readInventory } from '../functions/aws/inventory.js';
import { createClients, type SdkPlugin } from '../functions/commons/clients.js';
import { createLogger } from '../functions/commons/logger.js';
import { Pacer } from '../functions/commons/pacing.js';
import { benchConfig, T0 } from './bench-account.js';
import { plan } from '../functions/core/plan.js';
import { addDays } from '../functions/core/time.js';
import { reconcile } from '../functions/reconcile/run.js';
import { callerDrivesRotationPlugin, inProcessDriver } from '../functions/rotation/starter.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const PLANS = Number(process.env.BENCH_PLANS ?? 300);
const SCALE = Number(process.env.BENCH_SCALE ?? 5);

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
const cpuS = () => {
  const { user, system } = process.cpuUsage();
  return ((user + system) / 1e6).toFixed(1);
};
const print = (phase: string, ms: number, calls: Calls) => {
  const ops = Object.entries(calls.byOperation)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op}=${n}`)
    .join(' ');
  console.log(
    `${phase.padEnd(9)} ${String(Math.round(ms)).padStart(7)} ms  calls ${calls.total()}  peak RSS ${rssMb()} MB  CPU ${cpuS()} s (total)\n          ${ops}`,
  );
};

async function main(): Promise<void> {
  const [endpoint] = process.argv.slice(2);
  if (endpoint === undefined) throw new Error('usage: measure.mjs <emulator endpoint>');
  const config = benchConfig();
  const calls = new Calls();
  const clientsWith = (pacer?: Pacer) =>
    createClients({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      plugins: [calls.plugin(), callerDrivesRotationPlugin],
      pacer,
    });
  const log = createLogger({ sink: () => {}, level: 'SILENT' });
  let t = performance.now();
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
    rotation: inProcessDriver({ ...clients, config, now: () => now, log }),
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
}

await main();
