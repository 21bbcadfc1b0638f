import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { parseConfig } from '../../../functions/core/config.js';
import { startTarpit, TimeoutInjector } from '../../support/faults.js';
import { checkKeyInvariants, createPlans, dayAt, readAwsState, World } from '../../support/world.js';

const config = parseConfig({
  staggerPercent: 0,
  defaultPolicy: '30d',
  hygiene: { posture: { action: 'ignore' } },
});
const DAYS = [30, 37, 51];
const CREDENTIALS = ['alpha', 'beta'];

let tarpit: Awaited<ReturnType<typeof startTarpit>>;
beforeAll(async () => {
  tarpit = await startTarpit();
});
afterAll(async () => {
  await tarpit.close();
});

/** The shape of the end state, without the ids and values that differ between accounts. */
async function endState(faults: TimeoutInjector | undefined) {
  const world = new World(config);
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  for (const credential of CREDENTIALS) {
    await onboardCredential(
      { ...world.clients(), config, now: dayAt(0) },
      { credential, usagePlanIds: plans },
    );
  }
  const outcomes = [];
  for (const day of DAYS) {
    const result = await world.run(day, faults === undefined ? [] : [faults.plugin()], {
      maxAttempts: 5,
      // Injected faults are chosen per request (its first try: test/support/faults.ts): a call meets at
      // most one, so a call the busy shared emulator answers slowly on its own is retried, not failed.
      // (They were chosen by a count across concurrent calls, which could stall every try of one call;
      // that, not the emulator's per-account clocks, was why this needed 1.5 s.)
      requestTimeoutMs: 500,
    });
    outcomes.push(
      // A failure carries its error: the comparison below then says why.
      ...result.outcomes.map(
        (o) =>
          `${day}:${o.action.kind}:${o.action.credential}:${o.status}${o.error ? ` (${o.error.name}: ${o.error.message})` : ''}`,
      ),
    );
  }
  const state = await readAwsState(world);
  return {
    outcomes,
    violations: checkKeyInvariants(state, new Map(CREDENTIALS.map((c) => [c, [...plans].sort()])), config),
    keys: state.keys
      .map(
        (k) =>
          `${k.tags['rotation:credential']}:${k.tags['rotation:generation']}:${k.enabled}:${k.planIds.length}`,
      )
      .sort(),
    names: new Set(state.keys.map((k) => k.name)).size === state.keys.length,
  };
}

describe('timeouts: 30% of attempts stall or lose their answer', () => {
  it('end in the same state as a run without them: no failed action, no second key for one rotation', async () => {
    const faults = new TimeoutInjector(tarpit.port);
    const [clean, timedOut] = [await endState(undefined), await endState(faults)];
    // Both kinds happened, often: stalled attempts ended by the request timeout, answers lost after
    // API Gateway or Secrets Manager acted (a retried CreateApiKey, PutSecretValue, ...).
    expect(faults.stalled).toBeGreaterThan(10);
    expect(faults.lost).toBeGreaterThan(5);
    expect(timedOut.outcomes).toEqual(clean.outcomes);
    expect(timedOut.outcomes.filter((o) => o.includes(':failed'))).toEqual([]);
    expect(timedOut.keys).toEqual(clean.keys);
    expect(timedOut.names).toBe(true);
    expect(timedOut.violations).toEqual([]);
    expect(clean.keys).toEqual(['alpha:2:true:2', 'beta:2:true:2']);
  });
});
