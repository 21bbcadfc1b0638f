import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUOTAS,
  Pacer,
  quotaKey,
  reconcilerPacer,
  rotationPacer,
  TokenBucket,
} from '../../functions/commons/pacing.js';
import { apply } from '../../functions/reconcile/apply.js';
import type { Action } from '../../functions/core/types.js';
import { createLogger } from '../../functions/commons/logger.js';

/** A clock that only moves when someone sleeps: pacing is measured, not timed. */
function fakeTime() {
  let now = 0;
  return { clock: () => now, sleep: async (ms: number) => void (now += ms), now: () => now };
}

describe('token bucket', () => {
  it('lets the burst through at once, then one request per 1/rate seconds', async () => {
    const t = fakeTime();
    const bucket = new TokenBucket({ perSecond: 5, burst: 5 }, t.clock, t.sleep);
    for (let i = 0; i < 5; i++) expect(await bucket.take()).toBe(0);
    expect(t.now()).toBe(0);
    for (let i = 0; i < 10; i++) await bucket.take();
    expect(t.now()).toBe(2000);
  });

  it('serves concurrent callers one at a time, in order', async () => {
    const t = fakeTime();
    const bucket = new TokenBucket({ perSecond: 10, burst: 1 }, t.clock, t.sleep);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map(async (i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(t.now()).toBe(300);
  });
});

describe('quotas', () => {
  it.each([
    ['apigateway', 'CreateApiKey', 'apigateway:CreateApiKey'],
    ['apigateway', 'DeleteApiKey', 'apigateway:DeleteApiKey'],
    ['apigateway', 'UpdateUsagePlan', 'apigateway:UpdateUsagePlan'],
    ['apigateway', 'GetApiKeys', 'apigateway:*'],
    ['apigateway', 'CreateUsagePlanKey', 'apigateway:*'],
    ['secretsmanager', 'PutSecretValue', 'secretsmanager:write'],
    ['secretsmanager', 'GetSecretValue', undefined],
    ['cloudwatch', 'PutMetricData', undefined],
  ])('%s %s draws from %s', (service, operation, key) => {
    expect(quotaKey(service, operation, DEFAULT_QUOTAS)).toBe(key);
  });

  it('the floor of a wave is set by its slowest bucket, scaled with the quotas', () => {
    const calls = {
      'apigateway:CreateApiKey': 105,
      'apigateway:CreateUsagePlanKey': 200,
      'apigateway:GetApiKeys': 40,
      'secretsmanager:GetSecretValue': 5000,
    };
    expect(new Pacer().floorMs(calls)).toBe(20_000);
    expect(new Pacer({ scale: 10 }).floorMs(calls)).toBe(1_100);
  });
});

describe('deadlines', () => {
  it('actions not started before the deadline are deferred, never half done', async () => {
    const actions: Action[] = [1, 2, 3, 4].map((i) => ({
      kind: 'disable-key',
      credential: 'c',
      keyId: `k${i}`,
      reason: 'r',
    }));
    const done: string[] = [];
    const effects = {
      'disable-key': async (a: { keyId: string }) => void done.push(a.keyId),
    } as unknown as Parameters<typeof apply>[1];
    let budget = 2;
    const outcomes = await apply(
      actions,
      effects,
      createLogger({ sink: () => {} }),
      undefined,
      () => budget-- <= 0,
    );
    expect(done).toEqual(['k1', 'k2']);
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done', 'deferred', 'deferred']);
  });
});

describe('rotations in flight', () => {
  it('a run has at most rotationsInFlight rotations going at once, other phases their own width', async () => {
    const rotate = (i: number): Action =>
      ({
        kind: 'rotate',
        credential: `c${i}`,
        keyId: `k${i}`,
        reason: 'due',
      }) as unknown as Action;
    const disable = (i: number): Action => ({
      kind: 'disable-key',
      credential: `d${i}`,
      keyId: `o${i}`,
      reason: 'r',
    });
    const peak = { rotate: 0, 'disable-key': 0 };
    const running = { rotate: 0, 'disable-key': 0 };
    const track = (kind: 'rotate' | 'disable-key') => async () => {
      peak[kind] = Math.max(peak[kind], ++running[kind]);
      await new Promise((r) => setTimeout(r, 5));
      running[kind]--;
    };
    const effects = { rotate: track('rotate'), 'disable-key': track('disable-key') } as unknown as Parameters<
      typeof apply
    >[1];
    const actions = [
      ...Array.from({ length: 12 }, (_, i) => rotate(i)),
      ...Array.from({ length: 12 }, (_, i) => disable(i)),
    ];
    const outcomes = await apply(actions, effects, createLogger({ sink: () => {} }), undefined, undefined, {
      actions: 6,
      rotations: 3,
    });
    expect(outcomes.every((o) => o.status === 'done')).toBe(true);
    expect(peak).toEqual({ rotate: 3, 'disable-key': 6 });
  });

  it('the rotation function containers together pace to the quotas: each gets a 1/(rotationsInFlight + 1) share', () => {
    const calls = { 'apigateway:CreateApiKey': 100 };
    const whole = reconcilerPacer({ quotaScale: 1, rotationsInFlight: 9 }).floorMs(calls);
    const share = rotationPacer({ quotaScale: 1, rotationsInFlight: 9 }).floorMs({
      'apigateway:CreateApiKey': 10,
    });
    // Ten containers (nine rotations in flight, one still returning) each making 10 calls take (at
    // least) as long as one pacer making 100.
    expect(share).toBeGreaterThanOrEqual(whole * 0.9);
    expect(reconcilerPacer({ quotaScale: 0.5, rotationsInFlight: 10 }).floorMs(calls)).toBeGreaterThan(
      whole * 1.9,
    );
  });
});
