import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUOTAS,
  Pacer,
  quotaKey,
  keyrotPacer,
  rotationCost,
  SHARED_BUCKET,
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
    // The shared bucket is paced one request at a time: 240 calls at 10/1.1 a second; CreateApiKey 100 past its burst of 5.
    expect(new Pacer().floorMs(calls)).toBeCloseTo(23_900 * 1.1);
    expect(new Pacer({ scale: 10 }).floorMs(calls)).toBeCloseTo(2_390 * 1.1);
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

  it("API Gateway's shared bucket is paced to the configured share, one request at a time (no burst)", async () => {
    const t = fakeTime();
    const pacer = new Pacer({ apiGatewayShare: 0.6, clock: t.clock, sleep: t.sleep });
    // Six a second, less what absorbs the delay between admitting a rotation and its calls.
    expect(pacer.rate(SHARED_BUCKET)).toBeCloseTo(6 / 1.1);
    // Sixty requests at once: the first goes, the rest one at a time; 55 at most in any 10 s.
    await pacer.reserve({ [SHARED_BUCKET]: 60 });
    expect(t.now()).toBeGreaterThanOrEqual(10_800);
    expect(t.now()).toBeLessThanOrEqual(10_900);
    // Its own quotas keep their burst: five CreateApiKey at once.
    const before = t.now();
    await pacer.reserve({ 'apigateway:CreateApiKey': 5 });
    expect(t.now()).toBe(before);
  });

  it('the reconciler reserves what each rotation it starts will call: its own calls and theirs stay within the share', async () => {
    const t = fakeTime();
    const pacer = keyrotPacer({ quotaScale: 1, apiGatewayShare: 0.6 });
    const paced = new Pacer({ apiGatewayShare: 0.6, clock: t.clock, sleep: t.sleep });
    expect(paced.rate(SHARED_BUCKET)).toBe(pacer.rate(SHARED_BUCKET));
    // Thirty rotations of keys in two plans each: 60 CreateUsagePlanKey, 30 CreateApiKey.
    for (let i = 0; i < 30; i++) await paced.reserve(rotationCost(2));
    expect(t.now()).toBeGreaterThanOrEqual(10_800);
    expect(paced.stats.byBucket[SHARED_BUCKET]).toMatchObject({ reserved: 60, calls: 0 });
    expect(paced.stats.byBucket['apigateway:CreateApiKey']?.reserved).toBe(30);
    expect(paced.stats.waitedMs).toBeGreaterThanOrEqual(10_800);
    // Not recorded on the secret (Secrets Manager's schedule): the rotation function reads three more.
    expect(rotationCost(2, false)[SHARED_BUCKET]).toBe(5);
  });
});
