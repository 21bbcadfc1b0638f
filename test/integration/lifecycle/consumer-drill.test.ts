import { describe, expect, it } from 'vitest';
import { ApiKeyProvider, keyrotFetch } from '../../../consumer/index.js';
import { parseConfig } from '../../../functions/core/config.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { startStage } from '../../support/stage-data-plane.js';
import { drillIncidents } from '../../support/drill.js';
import { createPlans, dayAt, World } from '../../support/world.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Tally {
  ok: number;
  /** A 403 answered by one refresh and one successful retry: not a failed request. */
  retried: number;
  failed: number;
}

/**
 * The consumer's drill (issue 14): twenty consumers using the helper call a stage (the data-plane
 * stand-in) without pause while keyrot rotates their credentials three times on schedule (grace,
 * disable, delete), rolls one back and revokes one in an emergency; one consumer that read its key at
 * start-up runs beside them. Every response is counted.
 */
describe('consumers through rotations, an emergency rotation and a rollback', () => {
  it('the helper consumers see no failed request; the start-up-cached one fails once its key is retired', async () => {
    const world = new World(parseConfig({ staggerPercent: 0, defaultPolicy: '30d' }));
    const { apigw, secrets } = world.raw();
    const plans = await createPlans(apigw, ['gold']);
    for (const credential of ['acme', 'globex'])
      await onboardCredential(
        { ...world.clients(), config: world.config, now: dayAt(0) },
        { credential, usagePlanIds: plans },
      );
    const stage = await startStage({ apigw, usagePlanIds: plans });
    // testSecret's canary: a new key becomes current only once the stage accepts it.
    world.config = { ...world.config, canaryUrl: stage.url };

    let running = true;
    const tallies: Tally[] = [];
    const consumer = async (credential: string) => {
      const tally: Tally = { ok: 0, retried: 0, failed: 0 };
      tallies.push(tally);
      const keys = new ApiKeyProvider({ secrets, maxAgeMs: 200 });
      let retried: boolean | undefined;
      const api = keyrotFetch(keys, credential, { previousFallback: true, onRetry: () => (retried = true) });
      while (running) {
        retried = false;
        const status = (await api(stage.url)).status;
        if (status !== 200) tally.failed++;
        else if (retried) tally.retried++;
        else tally.ok++;
        await sleep(10);
      }
    };
    const cached = { ok: 0, failed: 0, firstFailureAfterDay: undefined as number | undefined };
    let today = 0;
    const startupKey = await new ApiKeyProvider({ secrets }).get('acme');
    const naive = async () => {
      while (running) {
        const status = (await fetch(stage.url, { headers: { 'x-api-key': startupKey } })).status;
        if (status === 200) cached.ok++;
        else {
          cached.failed++;
          cached.firstFailureAfterDay ??= today;
        }
        await sleep(10);
      }
    };
    const all = [
      ...Array.from({ length: 10 }, () => consumer('acme')),
      ...Array.from({ length: 10 }, () => consumer('globex')),
      naive(),
    ];
    const at = async (day: number, step: () => Promise<unknown>) => {
      today = day;
      await step();
      await sleep(300);
    };
    try {
      await sleep(300);
      // Three scheduled rotations of each credential, each with its grace, disable and delete; a rollback
      // inside the grace, then the retirement of the key rolled back from; an emergency.
      await drillIncidents(world, at, { rollback: 'globex', emergency: 'acme' });
      await at(112, () => world.run(112));
    } finally {
      running = false;
      await Promise.all(all);
      await stage.close();
    }
    const sum = (k: keyof Tally) => tallies.reduce((n, t) => n + t[k], 0);
    const counts = {
      ok: sum('ok'),
      retried: sum('retried'),
      failed: sum('failed'),
      cached,
      stage: stage.answered,
    };
    console.log(`consumer drill: ${JSON.stringify(counts)}`);
    expect(counts.failed).toBe(0);
    expect(counts.ok).toBeGreaterThan(1000);
    // The consumer that cached its key at start-up works through the grace, then fails for good.
    expect(cached.ok).toBeGreaterThan(0);
    expect(cached.failed).toBeGreaterThan(0);
    expect(cached.firstFailureAfterDay).toBe(37);
  }, 300_000);
});
