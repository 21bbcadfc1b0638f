import { beforeAll, describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { parseConfig } from '../../../functions/core/config.js';
import { staggerDays } from '../../../functions/core/time.js';
import type { RunResult } from '../../../functions/reconcile/run.js';
import {
  checkKeyInvariants,
  createPlans,
  dayAt,
  DeletionWatch,
  leakedValues,
  readAwsState,
  World,
  type AwsState,
} from '../../support/world.js';
import { rotationsSettled, TEST_PACING, useTimedEmulator } from '../../support/deployed.js';

const DAYS = 400;
const POLICIES = ['30d', '60d', '90d'] as const;
/**
 * Credential i has policy i % 3, two plans when i % 4 is 0 and is onboarded on day i % 7: twelve
 * cover every policy with one plan and with two, and every onboarding day of the week; more would
 * repeat a case (and each adds a rotation every 30 to 90 days to the suite's longest file).
 */
const CREDENTIALS = 12;

interface Expected {
  credential: string;
  policy: (typeof POLICIES)[number];
  onboardDay: number;
  plans: string[];
}

/**
 * On the path AWS runs: the emulator's Secrets Manager invokes the deployed rotation function bundle
 * out of process after RotateSecret returns, on a simulated clock every run moves to its day.
 */
const emulator = useTimedEmulator();

describe(`a simulated year and more of daily runs: ${CREDENTIALS} credentials, 3 plans, mixed policies`, () => {
  // The default configuration (first rotations are staggered), but for pacing (TEST_PACING): at the real
  // quotas the year's ~130 rotations would wait some 5 minutes in all for the rotation function's share.
  const config = parseConfig({ pacing: TEST_PACING });
  let world: World;
  const expected: Expected[] = [];
  const runs: RunResult[] = [];
  const violations: string[] = [];
  const deletions = new DeletionWatch();
  const values = new Set<string>();
  const quietRunsWithWrites: number[] = [];
  let finalState: AwsState;

  beforeAll(async () => {
    world = new World(config, { endpoint: emulator.endpoint() });
    await world.deploy();
    const planIds = await createPlans(world.raw().apigw, ['gold', 'silver', 'partner']);
    for (let i = 0; i < CREDENTIALS; i++) {
      const policy = POLICIES[i % 3]!;
      const plans = i % 4 === 0 ? [planIds[i % 3]!, planIds[(i + 1) % 3]!] : [planIds[i % 3]!];
      const onboardDay = i % 7;
      const clients = world.clients();
      await world.setClock(dayAt(onboardDay));
      await onboardCredential(
        { ...clients, config: world.config, now: dayAt(onboardDay) },
        { credential: `consumer-${String(i).padStart(2, '0')}`, usagePlanIds: plans, policy },
      );
      expected.push({
        credential: `consumer-${String(i).padStart(2, '0')}`,
        policy,
        onboardDay,
        plans: [...plans].sort(),
      });
    }
    await rotationsSettled(world.endpoint);
    const plansOf = new Map(expected.map((e) => [e.credential, e.plans]));
    const windowOf = (key: { tags: Record<string, string> }) =>
      world.config.policies[key.tags['rotation:policy'] ?? '90d']!.disableWindowDays;

    let state = await readAwsState(world);
    for (let day = 1; day <= DAYS; day++) {
      world.recorder.reset();
      const result = await world.run(day);
      runs.push(result);
      const writes = world.recorder.writes().length;
      // I5: nothing due, no write call. With no write, the state is the one already checked.
      if (result.plan.actions.length === 0) {
        if (writes > 0) quietRunsWithWrites.push(day);
        continue;
      }
      state = await readAwsState(world);
      for (const k of state.keys) values.add(k.value);
      violations.push(...checkKeyInvariants(state, plansOf, world.config).map((v) => `day ${day}: ${v}`));
      deletions.observe(state, day, windowOf);
    }
    finalState = state;
  }, 600_000);

  it('I1, I2 hold after every run; I3: no key vanished before a full disable window', () => {
    expect(violations).toEqual([]);
    expect(deletions.violations).toEqual([]);
  });

  it('I5: every run with nothing due made no write call', () => {
    expect(quietRunsWithWrites).toEqual([]);
    expect(runs.filter((r) => r.plan.actions.length === 0).length).toBeGreaterThan(50);
  });

  it('every credential rotated on each due day and nowhere else', () => {
    for (const e of expected) {
      const period = world.config.policies[e.policy]!.periodDays;
      const early = staggerDays(e.credential, Math.floor((period * world.config.staggerPercent) / 100));
      const want: number[] = [];
      for (let d = e.onboardDay + period - early; d <= DAYS; d += period) want.push(d);
      const got = runs
        .filter((r) =>
          r.outcomes.some(
            (o) => o.action.kind === 'rotate' && o.action.credential === e.credential && o.status === 'done',
          ),
        )
        .map((r) => Math.round((r.now.getTime() - dayAt(0).getTime()) / 86_400_000));
      expect({ credential: e.credential, days: got }).toEqual({ credential: e.credential, days: want });
    }
    expect(runs.flatMap((r) => r.outcomes).filter((o) => o.status === 'failed')).toEqual([]);
  });

  it('every superseded key was disabled by the first run after its grace ended and deleted when its window ended', () => {
    const dayOf = (r: RunResult) => Math.round((r.now.getTime() - dayAt(0).getTime()) / 86_400_000);
    const events = (kind: string) =>
      new Map(
        runs.flatMap((r) =>
          r.outcomes
            .filter((o) => o.action.kind === kind && o.status === 'done')
            .map((o) => ['keyId' in o.action ? o.action.keyId : '', dayOf(r)] as const),
        ),
      );
    const disabled = events('disable-key');
    const deleted = events('delete-key');
    let checked = 0;
    for (const e of expected) {
      const policy = world.config.policies[e.policy]!;
      const rotations = runs
        .filter((r) =>
          r.outcomes.some((o) => o.action.kind === 'rotate' && o.action.credential === e.credential),
        )
        .map((r) => ({
          day: dayOf(r),
          oldKey: (
            r.outcomes.find((o) => o.action.kind === 'rotate' && o.action.credential === e.credential)!
              .action as { currentKeyId: string }
          ).currentKeyId,
        }));
      for (const { day, oldKey } of rotations) {
        // Grace counts from when finishSecret made the new key current: seconds after that day's run
        // began (Secrets Manager runs it asynchronously). So it ends just after the run of day+grace
        // starts, and the first run after it, the next day's, disables the key.
        const disableDay = day + policy.graceDays + 1;
        const deleteDay = disableDay + policy.disableWindowDays;
        if (disableDay <= DAYS)
          expect({ oldKey, disabled: disabled.get(oldKey) }).toEqual({ oldKey, disabled: disableDay });
        if (deleteDay <= DAYS) {
          expect({ oldKey, deleted: deleted.get(oldKey) }).toEqual({ oldKey, deleted: deleteDay });
          checked++;
        }
      }
    }
    // 86 retirements with twelve credentials: every policy many times over.
    expect(checked).toBeGreaterThan(80);
  });

  it('the secrets show rotation enabled and a LastRotatedDate, as AWS Config and Security Hub check', () => {
    expect(finalState.secrets).toHaveLength(CREDENTIALS);
    for (const s of finalState.secrets) {
      expect(s.rotationEnabled).toBe(true);
      expect(s.lastRotatedDate).toBeInstanceOf(Date);
    }
  });

  it('I4: no key value appears in any log line (the rotation function too), result or metric', async () => {
    // About a hundred key values (every generation's), looked for in every text.
    expect(values.size).toBeGreaterThan(90);
    const texts = [
      ...world.logs,
      ...(await world.functionLogs()),
      ...runs.map((r) => JSON.stringify({ ...r, inventory: undefined })),
    ];
    expect(leakedValues(values, texts)).toEqual([]);
  });
});
