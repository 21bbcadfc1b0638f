import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../support/chaos.js';
import { DEPLOYED_30D, useTimedEmulator } from '../../support/deployed.js';

/**
 * Randomized operator histories (test/support/chaos.ts) on the deployed path. CI runs a few fixed
 * seeds; `npm run chaos -- --seeds N --days D` runs long ones (CHAOS_SEEDS, CHAOS_DAYS, CHAOS_SEED).
 */
const config = DEPLOYED_30D;
const emulator = useTimedEmulator();
const seeds = Number(process.env.CHAOS_SEEDS ?? 2);
const days = Number(process.env.CHAOS_DAYS ?? 120);
const seed = process.env.CHAOS_SEED === undefined ? 20261206 : Number(process.env.CHAOS_SEED);

describe('operator histories: what people do beside keyrot never gives a cut-off consumer a key, nor breaks I1 to I4 or rotation', () => {
  it(`${seeds} generated histories of ${days} days (seed ${seed})`, { timeout: 0 }, async () => {
    const result = await runChaos({ endpoint: emulator.endpoint(), config, seeds, days, seed });
    const line = `chaos seeds=${result.seeds} commands=${result.commands} violations=${result.violations.length}`;
    mkdirSync('.cache', { recursive: true });
    writeFileSync('.cache/chaos.json', `${JSON.stringify({ line, seed, days, ...result }, null, 1)}\n`);
    console.log(line);
    expect(result.violations).toEqual([]);
    expect(result.commands).toBeGreaterThan(seeds);
  });
});
