/**
 * npm run chaos -- --seeds N --days D [--seed S]: long randomized operator histories
 * (test/support/chaos.ts) on the emulator's deployed path. Runs the chaos test file with those figures
 * and ends with its line: `chaos seeds=N commands=M violations=0`. A violation prints the shrunk
 * history that breaks an invariant; make it a plain regression test (test/integration/oncall/).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    days: { type: 'string', default: '400' },
    seed: { type: 'string' },
  },
});
for (const [name, value] of Object.entries(values)) {
  if (value !== undefined && !/^\d+$/.test(value)) {
    console.error(`chaos: --${name} must be a whole number, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
}
const RESULT = '.cache/chaos.json';
rmSync(RESULT, { force: true });
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--project', 'integration', 'test/integration/chaos/operator-histories.test.ts'],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      CHAOS_SEEDS: values.seeds,
      CHAOS_DAYS: values.days,
      ...(values.seed !== undefined && { CHAOS_SEED: values.seed }),
    },
  },
);
let line = `chaos seeds=${values.seeds} failed (exit ${run.status ?? 'signal'}); the shrunk history is above`;
try {
  if (run.status === 0) line = (JSON.parse(readFileSync(RESULT, 'utf8')) as { line: string }).line;
} catch {
  // No result written: the run failed before the end; the line above says so.
}
console.log(line);
process.exitCode = run.status === 0 ? 0 : 1;
