/**
 * `npm run bench`: 10,000 keys in 300 usage plans on the emulator (keys in 1-3 plans), then a wave of
 * 1,000 due rotations as they run on AWS: the CDK app's functions deployed into the emulator account,
 * RotateSecret starting each rotation, Secrets Manager invoking the rotation function bundle in as many
 * containers as run at once, the emulator throttling every call over the API Gateway and Secrets
 * Manager quotas. The quotas (enforced and paced to) are scaled by BENCH_SCALE (default 5: the wave takes
 * minutes instead of half an hour, and is still bound by the quotas, not by the emulator).
 *
 * Separate processes, so each figure is the measured code's own: seeding runs in a child (seed.ts), and
 * the run itself (measure.ts) is bundled by esbuild and run by plain node with the reconciler's
 * NODE_OPTIONS (infra/reconciler-runtime.ts), as the Lambda runs it; the TypeScript loader that `tsx`
 * adds (some 35 MB) is not in its peak RSS. The emulator counts every call the wave made, the rotation
 * function's included, and every call it throttled: the quota floor and the throttles are those.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import {
  emulatorClock,
  emulatorQuotas,
  type LambdaFigures,
  type QuotaFigures,
} from '../emulator/clock-client.js';
import { deployFunctions } from '../emulator/deploy.js';
import { startEmulator } from '../emulator/start.js';
import { Pacer } from '../functions/commons/pacing.js';
import { addDays } from '../functions/core/time.js';
import { RECONCILER_NODE_OPTIONS } from '../infra/reconciler-runtime.js';
import { BENCH_ACCOUNT, benchConfig, benchRawConfig, T0 } from './bench-account.js';
import { physicalFloorMs, sharedCalls } from './floor.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const PLANS = Number(process.env.BENCH_PLANS ?? 300);
const WAVE = Number(process.env.BENCH_WAVE ?? 1_000);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 8);
const SHARE = benchConfig().pacing.apiGatewayShare;
const HERE = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(HERE, '..', '.cache', 'bench', 'measure.mjs');
const FIGURES = join(HERE, '..', '.cache', 'bench', 'wave.json');
let rotationArn = '';

/** Runs a child process with this one's output; rejects unless it exits 0. */
async function run(what: string, args: string[]): Promise<void> {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      BENCH_KEYS: String(KEYS),
      BENCH_PLANS: String(PLANS),
      BENCH_WAVE: String(WAVE),
      BENCH_SCALE: String(SCALE),
      BENCH_IN_FLIGHT: String(IN_FLIGHT),
      BENCH_ROTATION_ARN: rotationArn,
    },
  });
  // Asynchronously: the emulator's output must keep flowing while the child works.
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (status !== 0) throw new Error(`${what} failed (exit ${status})`);
}

async function main(): Promise<void> {
  const bundling = build({
    entryPoints: [join(HERE, 'measure.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'error',
    // The SDK's CommonJS parts call require().
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  // A simulated clock: the wave is due 30 days after the seeding, for moto and the rotation function alike.
  const emulator = await startEmulator({
    clock: T0,
    // A container per rotation in flight (the emulator's default cap is 8, a limit of small machines).
    env: { KEYROT_LAMBDA_MAX_CONTAINERS: String(IN_FLIGHT + 2) },
  });
  try {
    console.log(
      `bench: ${KEYS} keys in ${PLANS} usage plans, a wave of ${WAVE} rotations, quotas x${SCALE} (enforced by the emulator), ${IN_FLIGHT} rotations in flight, emulator ${emulator.endpoint}`,
    );
    let t = performance.now();
    const deployment = await deployFunctions({
      endpoint: emulator.endpoint,
      accountId: BENCH_ACCOUNT,
      context: { 'keyrot:config': benchRawConfig() },
    });
    rotationArn = deployment.rotationFunction.arn;
    console.log(
      `deploy    ${String(Math.round(performance.now() - t)).padStart(7)} ms  (the CDK app's bundles)`,
    );
    t = performance.now();
    await run('seeding', ['--import', 'tsx', join(HERE, 'seed.ts'), emulator.endpoint]);
    console.log(`seed      ${String(Math.round(performance.now() - t)).padStart(7)} ms  (child process)`);
    await bundling;
    await emulatorClock(emulator.endpoint, addDays(T0, 30));
    await emulatorQuotas(emulator.endpoint, BENCH_ACCOUNT, SCALE);
    // With the reconciler's own heap cap, as deployed.
    await run('the measured run', [RECONCILER_NODE_OPTIONS, BUNDLE, emulator.endpoint, FIGURES]);
    const wave = JSON.parse(readFileSync(FIGURES, 'utf8')) as Record<string, number> & {
      waveQuotas: QuotaFigures;
      waveLambda: Record<string, LambdaFigures>;
      emergency?: {
        selected: number;
        estimateS: number;
        measuredMs: number;
        rotated: number;
        sharedPeak10s: number;
      };
    };
    const quotas = wave.waveQuotas;
    // The wave's own (the emergency phase's invocations come after).
    const lambda = wave.waveLambda;
    const workers = lambda[deployment.rotationFunction.name]?.peakConcurrency ?? 0;
    const invocations = lambda[deployment.rotationFunction.name]?.invocations ?? 0;
    // Every call of the wave, the rotation function's included, against the quotas it was paced to.
    const floorMs = new Pacer({ scale: SCALE }).floorMs(quotas.calls);
    const throttled = Object.values(quotas.throttled).reduce((a, b) => a + b, 0);
    const ratio = (wave.waveMs! / floorMs).toFixed(2);
    // What the rotations can't do without, at the quotas: CreateApiKey, one attachment per plan in the
    // share of the shared bucket, the Secrets Manager writes.
    const physical = physicalFloorMs(quotas.calls, { rotations: wave.rotated!, share: SHARE, scale: SCALE });
    const physicalRatio = (wave.waveMs! / physical).toFixed(2);
    const perRotation = (sharedCalls(quotas.calls) / Math.max(1, wave.rotated!)).toFixed(1);
    const peakRate = (quotas.sharedPeak10s / 10).toFixed(1);
    const ops = (calls: Record<string, number>) =>
      Object.entries(calls)
        .sort((a, b) => b[1] - a[1])
        .map(([op, n]) => `${op}=${n}`)
        .join(' ');
    console.log(
      `all calls of the wave (reconciler and rotation function), as the emulator counted them:\n          ${ops(quotas.calls)}`,
    );
    console.log(
      `wave      ${wave.rotated} rotated in ${wave.waveMs} ms by ${workers} rotation function containers at most (${invocations} invocations); quota floor ${Math.round(floorMs)} ms, ratio ${ratio}; throttled by the emulator ${throttled}${throttled > 0 ? ` (${ops(quotas.throttled)})` : ''}`,
    );
    const e = wave.emergency;
    // keyrot rotate --all on the same account: the dry run's estimate against the measured run.
    const emergency =
      e === undefined
        ? ''
        : `emergency rotate --all: ${e.rotated} of ${e.selected} in ${(e.measuredMs / 1000).toFixed(0)} s, estimated ${e.estimateS} s (error ${((e.estimateS / (e.measuredMs / 1000) - 1) * 100).toFixed(0)}%), shared bucket at most ${e.sharedPeak10s} in any 10 s\n`;
    console.log(
      `physical  floor ${Math.round(physical)} ms (rotations/5, attachments/(10 x ${SHARE}), Secrets Manager writes/50; quotas x${SCALE}), ratio ${physicalRatio}; API Gateway shared bucket: ${perRotation} calls per rotation, at most ${quotas.sharedPeak10s} in any 10 s (${peakRate}/s; the share allows ${(10 * SHARE * SCALE).toFixed(1)}/s)`,
    );
    console.log(
      `${emergency}bench keys=${wave.keys} plans=${PLANS} read_calls=${wave.readCalls} plan_ms=${wave.planMs} peak_rss_mb=${wave.peakRssMb} wave=${wave.rotated} wave_floor_ratio=${ratio} rotation_workers=${workers} throttled=${throttled} throttle_errors_surfaced=${wave.throttleErrorsSurfaced} apigw_shared_calls_per_rotation=${perRotation} physical_floor_ratio=${physicalRatio} shared_peak_rate=${peakRate}${e === undefined ? '' : ` emergency_estimate_error_pct=${((e.estimateS / (e.measuredMs / 1000) - 1) * 100).toFixed(0)}`}`,
    );
  } finally {
    await emulator.stop();
  }
}

await main();
