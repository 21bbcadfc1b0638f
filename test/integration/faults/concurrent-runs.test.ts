import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/aws/onboard.js';
import { parseConfig } from '../../../functions/core/config.js';
import { checkKeyInvariants, createPlans, dayAt, readAwsState, World } from '../../support/world.js';

const config = parseConfig({
  staggerPercent: 0,
  defaultPolicy: '30d',
  hygiene: { posture: { action: 'ignore' } },
});

describe('two runs started at once', () => {
  it('never rotate a credential twice nor create a second pending key', async () => {
    const world = new World(config);
    const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
    const credentials = ['alpha', 'beta', 'gamma', 'delta'];
    for (const credential of credentials) {
      await onboardCredential(
        { ...world.clients(), config, now: dayAt(0) },
        { credential, usagePlanIds: plans },
      );
    }
    const [a, b] = await Promise.all([world.run(30), world.run(30)]);
    const outcomes = [...a.outcomes, ...b.outcomes].filter((o) => o.action.kind === 'rotate');
    // Each credential: both runs planned its rotation, and both name it with the same version, so it
    // happens once: one run does it (or both finish the same one), the other finds it done or in progress.
    for (const credential of credentials) {
      const statuses = outcomes.filter((o) => o.action.credential === credential).map((o) => o.status);
      expect({ credential, done: statuses.includes('done'), failed: statuses.includes('failed') }).toEqual({
        credential,
        done: true,
        failed: false,
      });
    }
    const state = await readAwsState(world);
    const plansOf = new Map(credentials.map((c) => [c, [...plans].sort()]));
    expect(checkKeyInvariants(state, plansOf, config)).toEqual([]);
    for (const credential of credentials) {
      const keys = state.keys.filter((k) => k.tags['rotation:credential'] === credential);
      expect(keys.map((k) => k.tags['rotation:generation']).sort()).toEqual(['1', '2']);
    }
    // And the next run finds nothing left to finish.
    const next = await world.run(31);
    expect(next.plan.actions).toEqual([]);
  });
});
