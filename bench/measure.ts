/**
 * The measured part of `npm run bench` (bench/rotation-wave.ts seeds the account, deploys the functions,
 * bundles this file with esbuild and runs it with plain node, as the Lambda runs its bundle): read the
 * inventory, plan, run the wave as the reconciler runs it on AWS: RotateSecret starts each rotation,
 * the emulator's Secrets Manager invokes the deployed rotation function, the run watches for the end.
 * Prints calls by operation (this process's), wall time and peak RSS per phase, and writes its figures
 * to the file named by its second argument for rotation-wave.ts's last line.
 */
import { writeFileSync } from 'node:fs';
import { readInventory } from '../functions/aws/inventory.js';
import { createClients, type SdkPlugin } from '../functions/commons/clients.js';
import { createLogger } from '../functions/commons/logger.js';
import { keyrotPacer, type Pacer } from '../functions/commons/pacing.js';
import { BENCH_ACCOUNT, benchConfig } from './bench-account.js';
import { plan } from '../functions/core/plan.js';
import { reconcile } from '../functions/reconcile/run.js';
import { secretsManagerDriver } from '../functions/rotation/starter.js';
import { rotateMany } from '../functions/oncall/rotate-many.js';
import { emulatorClock, emulatorLambdaStats, emulatorQuotas } from '../emulator/clock-client.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
  const [endpoint, out] = process.argv.slice(2);
  if (endpoint === undefined || out === undefined)
    throw new Error('usage: measure.mjs <emulator endpoint> <figures.json>');
  const config = benchConfig();
  // The emulator's simulated day: the wave is due on it, and the rotation function's Date reads it too.
  const { now } = await emulatorClock(endpoint);
  const calls = new Calls();
  const clientsWith = (pacer?: Pacer) =>
    createClients({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      plugins: [calls.plugin()],
      pacer,
    });
  const log = createLogger({ sink: () => {}, level: 'SILENT' });
  let t = performance.now();
  const inventory = await readInventory(clientsWith(), config, now);
  const readMs = performance.now() - t;
  const readCalls = calls.total();
  print('inventory', readMs, calls);
  t = performance.now();
  const planned = plan(inventory, config, now);
  const planMs = performance.now() - t;
  console.log(
    `plan      ${planMs.toFixed(1).padStart(7)} ms  ${planned.actions.length} actions for ${inventory.keys.length} keys  peak RSS ${rssMb()} MB`,
  );

  calls.reset();
  const pacer = keyrotPacer(config.pacing);
  const clients = clientsWith(pacer);
  // The emulator's counts start with the wave (re-arming the enforcement resets them).
  await emulatorQuotas(endpoint, BENCH_ACCOUNT, config.pacing.quotaScale);
  t = performance.now();
  const result = await reconcile({
    clients,
    config,
    now,
    log,
    pacer,
    concurrency: 16,
    rotation: secretsManagerDriver(clients.secrets, clients.lambda, config.rotationLambdaArn),
  });
  const waveMs = performance.now() - t;
  print('wave', waveMs, calls);
  const rotated = result.outcomes.filter((o) => o.action.kind === 'rotate' && o.status === 'done').length;
  const started = result.outcomes.filter((o) => o.status === 'started').length;
  const failed = result.outcomes.filter((o) => o.status === 'failed');
  console.log(
    `wave      ${rotated} rotated, ${started} still running when watched, ${failed.length} failed; this process paced ${Math.round(pacer.stats.waitedMs)} ms, throttled ${pacer.stats.throttled}`,
  );
  for (const f of failed.slice(0, 5))
    console.log(`  failed: ${f.action.kind} ${f.action.credential}: ${f.error?.name} ${f.error?.message}`);
  // The wave's own figures, before the emergency phase re-arms the emulator's counters.
  const waveQuotas = await emulatorQuotas(endpoint, BENCH_ACCOUNT);
  const waveLambda = await emulatorLambdaStats(endpoint, BENCH_ACCOUNT);
  const emergency = process.env.BENCH_EMERGENCY === '0' ? undefined : await emergencyPhase(endpoint, config);
  const figures = {
    waveQuotas,
    waveLambda,
    emergency,
    keys: inventory.keys.length,
    readCalls,
    planMs: Math.round(planMs),
    peakRssMb: rssMb(),
    waveMs: Math.round(waveMs),
    rotated,
    started,
    failed: failed.length,
    throttleErrorsSurfaced: failed.filter((f) =>
      /TooManyRequests|Throttl|LimitExceeded/.test(f.error?.name ?? ''),
    ).length,
  };
  writeFileSync(out, JSON.stringify(figures));
}

/**
 * `keyrot rotate --all` on the same account, as the CLI runs it: the dry run's estimate, then the real
 * mass rotation of every managed credential, timed. Its clock is read again: the request must come
 * after the wave's rotations (they answered an earlier time).
 */
async function emergencyPhase(endpoint: string, config: ReturnType<typeof benchConfig>) {
  const { now } = await emulatorClock(endpoint);
  await emulatorQuotas(endpoint, BENCH_ACCOUNT, config.pacing.quotaScale);
  const pacer = keyrotPacer(config.pacing);
  const clients = createClients({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    pacer,
  });
  const log = createLogger({ sink: () => {}, level: 'SILENT' });
  const deps = {
    clients,
    config,
    now,
    log,
    pacer,
    rotation: secretsManagerDriver(clients.secrets, clients.lambda, config.rotationLambdaArn),
  };
  const dry = await rotateMany(deps, { selector: {}, dryRun: true });
  console.log(
    `emergency dry run: ${dry.selected} selected; estimate ${Math.round(dry.estimate.seconds)} s (${dry.estimate.boundBy}: ${dry.estimate.sharedCalls} shared calls)`,
  );
  const t = performance.now();
  const real = await rotateMany(deps, { selector: {} });
  const ms = performance.now() - t;
  const quotas = await emulatorQuotas(endpoint, BENCH_ACCOUNT);
  console.log(
    `emergency ${real.rotated} of ${real.selected} rotated in ${Math.round(ms)} ms (${real.runs} run(s), ${real.failed.length} failed, ${real.remaining.length} remaining); estimate/measured ${(dry.estimate.seconds / (ms / 1000)).toFixed(2)}; shared bucket at most ${quotas.sharedPeak10s} in any 10 s`,
  );
  return {
    selected: dry.selected,
    estimateS: Math.round(dry.estimate.seconds),
    measuredMs: Math.round(ms),
    rotated: real.rotated,
    sharedPeak10s: quotas.sharedPeak10s,
  };
}

await main();
