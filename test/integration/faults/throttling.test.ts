import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { Pacer } from '../../../functions/commons/pacing.js';
import { parseConfig } from '../../../functions/core/config.js';
import { Throttler } from '../../support/faults.js';
import { checkKeyInvariants, createPlans, dayAt, readAwsState, World } from '../../support/world.js';

const config = parseConfig({
  staggerPercent: 0,
  defaultPolicy: '30d',
  hygiene: { posture: { action: 'ignore' } },
});
const DAYS = [30, 37, 51];

/** The shape of the end state, without the ids and values that differ between accounts. */
async function endState(throttle: boolean) {
  const world = new World(config);
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  for (const credential of ['alpha', 'beta']) {
    await onboardCredential(
      { ...world.clients(), config, now: dayAt(0) },
      { credential, usagePlanIds: plans },
    );
  }
  const throttler = new Throttler();
  const pacer = new Pacer();
  const outcomes = [];
  for (const day of DAYS) {
    const result = await world.run(day, throttle ? [throttler.plugin()] : [], { maxAttempts: 5, pacer });
    outcomes.push(
      // A failure carries its error: the comparison below then says why.
      ...result.outcomes.map(
        (o) =>
          `${day}:${o.action.kind}:${o.action.credential}:${o.status}${o.error ? ` (${o.error.name}: ${o.error.message})` : ''}`,
      ),
    );
  }
  const state = await readAwsState(world);
  const plansOf = new Map([
    ['alpha', [...plans].sort()],
    ['beta', [...plans].sort()],
  ]);
  return {
    outcomes,
    violations: checkKeyInvariants(state, plansOf, config),
    keys: state.keys
      .map(
        (k) =>
          `${k.tags['rotation:credential']}:${k.tags['rotation:generation']}:${k.enabled}:${k.planIds.length}`,
      )
      .sort(),
    throttled: throttler.throttled,
    pacer: pacer.stats,
  };
}

describe('30% of calls throttled (429 TooManyRequestsException)', () => {
  it('ends in the same state as an unthrottled run, with zero failed rotations; the pacer saw the throttling', async () => {
    const [clean, throttled] = [await endState(false), await endState(true)];
    expect(throttled.throttled).toBeGreaterThan(20);
    expect(throttled.pacer.throttled).toBe(throttled.throttled);
    expect(throttled.outcomes).toEqual(clean.outcomes);
    expect(throttled.outcomes.filter((o) => o.includes(':failed'))).toEqual([]);
    expect(throttled.keys).toEqual(clean.keys);
    expect(throttled.violations).toEqual([]);
    expect(clean.keys).toEqual(['alpha:2:true:2', 'beta:2:true:2']);
  });
});
