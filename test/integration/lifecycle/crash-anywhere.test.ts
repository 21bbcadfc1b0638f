import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/aws/onboard.js';
import { parseConfig } from '../../../functions/core/config.js';
import { Crasher, SimulatedCrash, type CrashPoint } from '../../support/faults.js';
import {
  checkKeyInvariants,
  createPlans,
  dayAt,
  DeletionWatch,
  readAwsState,
  World,
} from '../../support/world.js';

// 30d policy: rotation on day 30, the old key disabled on day 37 (grace 7), deleted on day 51 (window 14).
const DAYS = [30, 37, 51];
const config = parseConfig({ staggerPercent: 0, defaultPolicy: '30d' });

async function setUp() {
  const world = new World(config);
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  await onboardCredential(
    { ...world.clients(), config, now: dayAt(0) },
    { credential: 'acme', usagePlanIds: plans },
  );
  return { world, plansOf: new Map([['acme', [...plans].sort()]]) };
}

/** The write calls each scheduled day makes when nothing goes wrong. */
async function referenceWrites(): Promise<{ day: number; writes: string[] }[]> {
  const { world } = await setUp();
  const out = [];
  for (const day of DAYS) {
    world.recorder.reset();
    await world.run(day);
    out.push({ day, writes: world.recorder.writes().map((w) => w.command) });
  }
  return out;
}

const reference = await referenceWrites();
const cases = reference.flatMap(({ day, writes }) =>
  writes.flatMap((command, i) =>
    (['before', 'after'] as const).map((when) => ({
      day,
      command,
      point: { write: i + 1, when } as CrashPoint,
    })),
  ),
);

describe('a crash just before or just after any write call of a rotation or a retirement', () => {
  it('the reference sequence writes what the rotation contract and two-phase retirement need', () => {
    expect(reference).toEqual([
      {
        day: 30,
        writes: [
          'RotateSecretCommand',
          'PutSecretValueCommand',
          'CreateApiKeyCommand',
          'CreateUsagePlanKeyCommand',
          'CreateUsagePlanKeyCommand',
          'TagResourceCommand',
          'UpdateSecretVersionStageCommand',
          'UpdateSecretVersionStageCommand',
          // The run records the rotation it saw finished (a tag on the secret).
          'TagResourceCommand',
        ],
      },
      { day: 37, writes: ['UpdateApiKeyCommand', 'TagResourceCommand'] },
      { day: 51, writes: ['DeleteApiKeyCommand'] },
    ]);
  });

  it.each(cases)(
    'day $day, $point.when write $point.write ($command): the next run converges',
    async ({ day, point }) => {
      const { world, plansOf } = await setUp();
      const deletions = new DeletionWatch();
      const seen = new Set<string>();
      const check = async (label: string, d: number) => {
        const state = await readAwsState(world);
        expect({ label, violations: checkKeyInvariants(state, plansOf, config) }).toEqual({
          label,
          violations: [],
        });
        deletions.observe(state, d, () => config.policies['30d']!.disableWindowDays);
        for (const k of state.keys) seen.add(k.id);
        return state;
      };
      for (const d of DAYS) {
        if (d === day) {
          const crasher = new Crasher(point);
          await expect(world.run(d, [crasher.plugin()])).rejects.toBeInstanceOf(SimulatedCrash);
          expect(crasher.dead).toBe(true);
          await check('after the crash', d);
        }
        await world.run(d);
        await check(`after the run of day ${d}`, d);
      }
      const state = await readAwsState(world);
      const keys = state.keys.filter((k) => k.tags['rotation:credential'] === 'acme');
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ enabled: true, planIds: plansOf.get('acme') });
      expect(keys[0]?.tags['rotation:generation']).toBe('2');
      expect(keys[0]?.value).toBe(state.secrets[0]?.currentValue);
      // No second key was ever created: only generation 1 and 2 exist or existed.
      expect(seen.size).toBe(2);
      expect(deletions.violations).toEqual([]);
    },
  );
});
