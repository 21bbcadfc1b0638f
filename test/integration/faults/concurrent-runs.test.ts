import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { DETAIL_TYPE, runEvents } from '../../../functions/core/events.js';
import { deployedWorld, TEST_PACING, useTimedEmulator } from '../../support/deployed.js';
import { checkKeyInvariants, readAwsState } from '../../support/world.js';

const config = parseConfig({
  pacing: TEST_PACING,
  staggerPercent: 0,
  defaultPolicy: '30d',
  hygiene: { posture: { action: 'ignore' } },
});
// As on AWS: RotateSecret starts the rotation, the deployed function runs it.
const emulator = useTimedEmulator();

describe('two runs started at once', () => {
  it('never rotate a credential twice nor create a second pending key; each rotation is counted once', async () => {
    const credentials = ['alpha', 'beta', 'gamma', 'delta'];
    const { world, plansOf } = await deployedWorld(emulator.endpoint(), config, credentials);
    const [a, b] = await Promise.all([world.run(30), world.run(30)]);
    const outcomes = [...a.outcomes, ...b.outcomes].filter((o) => o.action.kind === 'rotate');
    // Both runs planned each rotation under the same version id: Secrets Manager starts it once and
    // refuses the other RotateSecret (a rotation is pending), so one run counts it and the other defers.
    for (const credential of credentials) {
      const statuses = outcomes
        .filter((o) => o.action.credential === credential)
        .map((o) => o.status)
        .sort();
      expect({ credential, statuses }).toEqual({ credential, statuses: ['deferred', 'done'] });
    }
    const rotatedEvents = [a, b].flatMap((r) =>
      runEvents({ runId: r.runId, trigger: r.trigger, now: r.now }, r.outcomes, []).filter(
        (e) => e.detailType === DETAIL_TYPE.rotated,
      ),
    );
    expect(rotatedEvents).toHaveLength(credentials.length);
    const state = await readAwsState(world);
    expect(checkKeyInvariants(state, plansOf, world.config)).toEqual([]);
    for (const credential of credentials) {
      const keys = state.keys.filter((k) => k.tags['rotation:credential'] === credential);
      expect(keys.map((k) => k.tags['rotation:generation']).sort()).toEqual(['1', '2']);
    }
    // And the next run finds nothing left to finish.
    const next = await world.run(31);
    expect(next.plan.actions).toEqual([]);
  });
});
