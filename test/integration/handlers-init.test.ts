import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SHARED_BUCKET, keyrotPacer } from '../../functions/commons/pacing.js';
import { METRIC } from '../../functions/core/metrics.js';
import { onboardCredential } from '../../functions/onboarding/onboard.js';
import { createPlans, dayAt, World } from '../support/world.js';

/**
 * The handlers' set-up as Lambda runs it, in this process: the module loads once per container, with
 * the environment the function has. A broken KEYROT_CONFIG must be said, not swallowed.
 */
describe('a deployed function with a missing or garbled KEYROT_CONFIG', () => {
  const saved = process.env.KEYROT_CONFIG;
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let logged = '';
  beforeEach(() => {
    vi.resetModules();
    unhandled = [];
    logged = '';
    process.on('unhandledRejection', onUnhandled);
    // Powertools writes ERROR lines to stderr, the rest to stdout (CloudWatch Logs takes both).
    for (const stream of [process.stdout, process.stderr])
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        logged += String(chunk);
        return true;
      });
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    vi.restoreAllMocks();
    if (saved === undefined) delete process.env.KEYROT_CONFIG;
    else process.env.KEYROT_CONFIG = saved;
  });

  it.each([
    ['garbled', '{"defaultPolicy": ', /KEYROT_CONFIG is not valid JSON/],
    ['invalid', '{"defaultPolicy": "weekly"}', /defaultPolicy/],
    ['missing', undefined, /KEYROT_CONFIG is not set: .*redeploy the stack/],
  ])(
    '%s: no unhandled rejection at init; every invocation fails with the reason, and logs it',
    async (_, value, reason) => {
      if (value === undefined) delete process.env.KEYROT_CONFIG;
      else process.env.KEYROT_CONFIG = value;
      const reconciler = await import('../../functions/reconciler.js');
      const rotation = await import('../../functions/rotation.js');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      await expect(reconciler.handler({})).rejects.toThrow(reason);
      await expect(
        rotation.handler({ Step: 'createSecret', SecretId: 'keyrot/x', ClientRequestToken: 't' }),
      ).rejects.toThrow(reason);
      const lines = logged
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; message: string; error?: string });
      expect(lines.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual([
        'configuration invalid: the function cannot run',
        'configuration invalid: the function cannot run',
      ]);
      expect(lines[0]?.error).toMatch(reason);
    },
  );
});

describe("a warm container's runs: each publishes its own pacing figures, not the container's totals", async () => {
  const world = new World();
  const [gold] = await createPlans(world.raw().apigw, ['gold']);
  for (const credential of ['warm-a', 'warm-b']) {
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0) },
      { credential, usagePlanIds: [gold!], policy: '30d' },
    );
  }

  it('three runs in one process, the same work each: the same shared-call figure each time', async () => {
    // One pacer for the process, as the reconciler handler keeps one per container.
    const pacer = keyrotPacer(world.config.pacing);
    const figures: number[] = [];
    let total = 0;
    for (const day of [1, 2, 3]) {
      const run = await world.run(day, [], { pacer });
      const shared = run.metrics.find((m) => m.name === METRIC.apiGatewaySharedCalls)?.value ?? NaN;
      const bucket = pacer.stats.byBucket[SHARED_BUCKET]!;
      expect(shared).toBe(bucket.calls + bucket.reserved - total);
      total = bucket.calls + bucket.reserved;
      figures.push(shared);
    }
    expect(figures[0]).toBeGreaterThan(0);
    expect(new Set(figures).size).toBe(1);
  });
});
