import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import {
  deployedWorld,
  emulatedRotations,
  emulatorLambdaStats,
  failInvocations,
  rotationsSettled,
  startTimedEmulator,
  TEST_PACING,
} from '../../support/deployed.js';
import { Crasher, SimulatedCrash, type CrashPoint } from '../../support/faults.js';
import { checkKeyInvariants, DeletionWatch, readAwsState, World } from '../../support/world.js';

/**
 * A crash between any two write calls, on the path AWS runs: the reconciler's own writes (SDK middleware
 * kills its run just before or after one), and the deployed rotation function's (the emulator kills
 * its container just before the call is sent, or just after AWS answered it; Secrets Manager then
 * retries the whole rotation, as it does on AWS).
 *
 * 30d policy: rotation on day 30; the old key is disabled by the first run after its grace ends (the
 * rotation finished moments after day 30's 03:00, so on day 38) and deleted 14 days after that (day 52).
 */
const DAYS = [30, 38, 52];
const config = parseConfig({
  pacing: TEST_PACING,
  staggerPercent: 0,
  defaultPolicy: '30d',
  hygiene: { posture: { action: 'ignore' } },
});
// Started now, not in beforeAll: the reference run below decides the cases while vitest collects them.
const emulator = await startTimedEmulator();

async function setUp() {
  const { world, plansOf } = await deployedWorld(emulator.endpoint(), config);
  return { world, plansOf };
}

const functionWrites = async (world: World) =>
  (await emulatorLambdaStats(world.endpoint, world.accountId))[world.deployment!.rotationFunction.name]
    ?.writes ?? [];

/** The write calls each scheduled day makes when nothing goes wrong, by the reconciler and by the rotation function. */
async function referenceWrites() {
  const { world } = await setUp();
  const out = [];
  for (const day of DAYS) {
    world.recorder.reset();
    const before = (await functionWrites(world)).length;
    await world.run(day);
    await rotationsSettled(world.endpoint);
    out.push({
      day,
      reconciler: world.recorder.writes().map((w) => w.command),
      rotationFunction: (await functionWrites(world))
        .slice(before)
        .map((w) =>
          w.replace(/\/usageplans\/[^/]+\//, '/usageplans/{id}/').replace(/\/tags\/.*/, '/tags/{arn}'),
        ),
    });
  }
  return out;
}

type Case = { day: number; who: 'reconciler' | 'rotation function'; call: string; point: CrashPoint };

const reference = await referenceWrites();
const cases: Case[] = [];
for (const { day, reconciler, rotationFunction } of reference) {
  for (const [who, calls] of [
    ['reconciler', reconciler],
    ['rotation function', rotationFunction],
  ] as const) {
    calls.forEach((call, i) => {
      for (const when of ['before', 'after'] as const)
        cases.push({ day, who, call, point: { write: i + 1, when } });
    });
  }
}

describe('a crash just before or just after any write call of a rotation or a retirement', () => {
  it('the reference sequence writes what the rotation contract and two-phase retirement need', () => {
    expect(reference).toEqual([
      {
        day: 30,
        // The run records the rotation's facts on the secret, starts it, and, once it saw finishSecret
        // done, records that (tags on the secret).
        reconciler: ['TagResourceCommand', 'RotateSecretCommand', 'TagResourceCommand'],
        rotationFunction: [
          // createSecret: the new value as AWSPENDING first.
          'secretsmanager:PutSecretValue',
          // setSecret: the key (tagged at creation), in every plan, then recorded on the secret.
          'apigateway:POST /apikeys',
          'apigateway:POST /usageplans/{id}/keys',
          'apigateway:POST /usageplans/{id}/keys',
          'secretsmanager:TagResource',
          // finishSecret: when it became current (on the secret); AWSCURRENT moves, AWSPENDING comes off.
          'secretsmanager:TagResource',
          'secretsmanager:UpdateSecretVersionStage',
          'secretsmanager:UpdateSecretVersionStage',
        ],
      },
      { day: 38, reconciler: ['UpdateApiKeyCommand', 'TagResourceCommand'], rotationFunction: [] },
      { day: 52, reconciler: ['DeleteApiKeyCommand'], rotationFunction: [] },
    ]);
  });

  it.each(cases)(
    'day $day, the $who $point.when its write $point.write ($call): the next run converges',
    async ({ day, who, point }) => {
      const { world, plansOf } = await setUp();
      const deletions = new DeletionWatch();
      const seen = new Set<string>();
      const check = async (label: string, d: number) => {
        await rotationsSettled(world.endpoint);
        const state = await readAwsState(world);
        expect({ label, violations: checkKeyInvariants(state, plansOf, world.config) }).toEqual({
          label,
          violations: [],
        });
        deletions.observe(state, d, () => config.policies['30d']!.disableWindowDays);
        for (const k of state.keys) seen.add(k.id);
        return state;
      };
      for (const d of DAYS) {
        if (d === day && who === 'reconciler') {
          const crasher = new Crasher(point);
          await expect(world.run(d, [crasher.plugin()])).rejects.toBeInstanceOf(SimulatedCrash);
          expect(crasher.dead).toBe(true);
          await check('after the crash', d);
        }
        if (d === day && who === 'rotation function') {
          await failInvocations(world.endpoint, world.accountId, {
            function: world.deployment!.rotationFunction.name,
            when: point.when,
            write: point.write,
            count: 1,
          });
        }
        await world.run(d);
        await check(`after the run of day ${d}`, d);
      }
      if (who === 'rotation function') {
        // The container really died mid-rotation, and Secrets Manager's retry of the rotation finished it.
        const [rotation] = (await emulatedRotations(world.endpoint, world.accountId)).rotations.filter(
          (r) => r.trigger === 'RotateSecret',
        );
        expect(rotation?.steps.filter((s) => !s.ok).map((s) => s.error)).toEqual([
          expect.stringMatching(/Runtime\.ExitError/),
        ]);
        expect(rotation?.status).toBe('succeeded');
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
