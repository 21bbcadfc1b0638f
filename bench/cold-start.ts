/**
 * The deployed functions' cold start, as figures: each bundle's size, and a fresh Node process's RSS
 * and time after importing it (Lambda's init phase), with the NODE_OPTIONS the template gives it.
 * The median of five processes; a shared machine is noisy, so compare figures, don't assert them.
 *
 *   npm run bench:cold-start
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { functionBundles } from '../emulator/deploy.js';
import { RECONCILER_NODE_OPTIONS } from '../infra/reconciler-runtime.js';

const RUNS = 5;
const NODE_OPTIONS: Record<string, string> = { Reconciler: RECONCILER_NODE_OPTIONS, RotationFunction: '' };

const PROBE = `
const t0 = performance.now();
const mod = await import(process.argv[1]);
const initMs = performance.now() - t0;
if (typeof mod.handler !== 'function') throw new Error('the bundle exports no handler');
console.log(JSON.stringify({ rss: process.memoryUsage().rss, initMs }));
`;

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

for (const [name, dir] of Object.entries(await functionBundles())) {
  const bundle = join(dir, 'index.mjs');
  const samples = Array.from({ length: RUNS }, () => {
    const out = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', PROBE, pathToFileURL(bundle).href],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          NODE_OPTIONS: NODE_OPTIONS[name] ?? '',
          KEYROT_CONFIG: '{}',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    if (out.status !== 0) throw new Error(`${name}: ${out.stderr}`);
    return JSON.parse(out.stdout) as { rss: number; initMs: number };
  });
  console.log(
    `cold-start function=${name} bundle_kb=${Math.round(statSync(bundle).size / 1024)}` +
      ` rss_mb=${(median(samples.map((s) => s.rss)) / 2 ** 20).toFixed(1)}` +
      ` init_ms=${Math.round(median(samples.map((s) => s.initMs)))}`,
  );
}
