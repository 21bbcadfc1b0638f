/**
 * `npm run bench`: 10,000 keys in 300 usage plans on the emulator (keys in 1-3 plans), then a wave of
 * 1,000 due rotations under the API Gateway quotas scaled by BENCH_SCALE (default 5: the wave
 * takes minutes instead of half an hour, and is still bound by the quotas, not by the emulator).
 *
 * Three processes, so each figure is the measured code's own: seeding runs in a child (seed.ts), and
 * the run itself (measure.ts) is bundled by esbuild and run by plain node with the reconciler's
 * NODE_OPTIONS (infra/reconciler-runtime.ts), as the Lambda runs it; the TypeScript loader that `tsx`
 * adds (some 35 MB) is not in its peak RSS.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startEmulator } from '../emulator/start.js';
import { RECONCILER_NODE_OPTIONS } from '../infra/reconciler-runtime.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const PLANS = Number(process.env.BENCH_PLANS ?? 300);
const WAVE = Number(process.env.BENCH_WAVE ?? 1_000);
const SCALE = Number(process.env.BENCH_SCALE ?? 5);
const HERE = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(HERE, '..', '.cache', 'bench', 'measure.mjs');

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
  const emulator = await startEmulator();
  try {
    console.log(
      `bench: ${KEYS} keys in ${PLANS} usage plans, a wave of ${WAVE} rotations, quotas x${SCALE}, emulator ${emulator.endpoint}`,
    );
    const t = performance.now();
    await run('seeding', ['--import', 'tsx', join(HERE, 'seed.ts'), emulator.endpoint]);
    console.log(`seed      ${String(Math.round(performance.now() - t)).padStart(7)} ms  (child process)`);
    await bundling;
    // With the reconciler's own heap cap, as deployed.
    await run('the measured run', [RECONCILER_NODE_OPTIONS, BUNDLE, emulator.endpoint]);
  } finally {
    await emulator.stop();
  }
}

await main();
