import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../../functions/core/report.js';
import type { SdkPlugin } from '../../../functions/commons/clients.js';
import { parseConfig } from '../../../functions/core/config.js';
import { DETAIL_TYPE } from '../../../functions/core/events.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import {
  checkKeyInvariants,
  createPlans,
  dayAt,
  leakedKeyValues,
  readAwsState,
  World,
} from '../../support/world.js';

/** RotateSecret refused for these credentials' secrets, every time (an outage of the caller's view). */
function refuse(credentials: string[]): SdkPlugin {
  return {
    applyToStack: (stack) =>
      stack.add(
        (next, context) => async (args) => {
          const id = String((args.input as { SecretId?: string }).SecretId ?? '');
          const hit = credentials.some((c) => id.includes(`keyrot/${c}`));
          if (context.commandName === 'RotateSecretCommand' && hit) {
            throw Object.assign(new Error('injected: service unavailable'), {
              name: 'ServiceUnavailableException',
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'refuse' },
      ),
  };
}

/** Five credentials on day 0: none is due on day 5. */
async function account() {
  const world = new World(parseConfig({ staggerPercent: 0, pacing: { quotaScale: 8 } }));
  const [gold, silver] = await createPlans(world.raw().apigw, ['gold', 'silver']);
  const plans: Record<string, string[]> = {
    'a-1': [gold!],
    'a-2': [gold!],
    'b-1': [silver!],
    'b-2': [gold!, silver!],
    'c-1': [silver!],
  };
  const keys: Record<string, string> = {};
  for (const [credential, usagePlanIds] of Object.entries(plans)) {
    const out = await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0) },
      { credential, usagePlanIds, policy: credential === 'c-1' ? '30d' : undefined },
    );
    keys[credential] = out.keyId;
  }
  const plansOf = new Map(Object.entries(plans).map(([c, p]) => [c, [...p].sort()]));
  return { world, gold: gold!, silver: silver!, keys, plansOf };
}

const now = (day: number) => ['--now', dayAt(day).toISOString()];

describe('keyrot rotate --all: mass emergency rotation', () => {
  it('a dry run prints the count and the estimate and writes nothing', async () => {
    const { world, silver } = await account();
    world.recorder.reset();
    const out = await world.cli(
      ['rotate', '--all', '--plan', silver, '--dry-run', ...now(5), '--json'],
      [world.recorder.plugin()],
    );
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout);
    expect(result).toMatchObject({ dryRun: true, selected: 3, rotated: 0, runs: 0 });
    expect(result.estimate).toMatchObject({
      rotations: 3,
      attachments: 4,
      boundBy: 'API Gateway shared budget',
    });
    expect(result.estimate.seconds).toBeGreaterThan(0);
    expect(world.recorder.writes()).toEqual([]);
    const text = await world.cli(['rotate', '--all', '--plan', silver, '--dry-run', ...now(5)]);
    expect(text.stdout).toMatch(
      /^emergency rotation \(dry run\): 3 credential\(s\) selected\nestimate: \d+ s at the quotas, bound by the API Gateway shared budget/,
    );
  });

  it('rotates the selected credentials now, revokes their old keys with --grace 0, leaves the rest, and sends a summary', async () => {
    const { world, keys, plansOf } = await account();
    world.recorder.reset();
    const reports = mkdtempSync(join(tmpdir(), 'keyrot-mass-'));
    const out = await world.cli(
      ['rotate', '--prefix', 'b-', '--grace', '0', '--yes', ...now(5), '--json', '--report-dir', reports],
      [world.recorder.plugin()],
    );
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      selected: 2,
      rotated: 2,
      failed: [],
      remaining: [],
      runs: 1,
    });
    const state = await readAwsState(world);
    expect(checkKeyInvariants(state, plansOf, world.config)).toEqual([]);
    const enabled = (id: string) => state.keys.find((k) => k.id === id)?.enabled;
    expect([keys['b-1'], keys['b-2']].map((id) => enabled(id!))).toEqual([false, false]);
    expect([keys['a-1'], keys['a-2'], keys['c-1']].map((id) => enabled(id!))).toEqual([true, true, true]);
    expect(state.keys.filter((k) => k.tags['rotation:credential']?.startsWith('a-'))).toHaveLength(2);
    const summaries = world.recorder.calls
      .filter((c) => c.command === 'PutEventsCommand')
      .flatMap((c) => (c.input as { Entries: { DetailType: string; Detail: string }[] }).Entries)
      .filter((e) => e.DetailType === DETAIL_TYPE.emergencySummary);
    expect(summaries.map((e) => JSON.parse(e.Detail))).toEqual([
      expect.objectContaining({ selected: 2, rotated: 2, failed: 0, remaining: 0, graceSeconds: 0 }),
    ]);
    // On the record: the run's report, with the emergency rotations and their revocations.
    const json = readdirSync(reports).find((f) => f.endsWith('.json'));
    const report = JSON.parse(readFileSync(join(reports, json!), 'utf8')) as RunReport;
    expect(report.trigger).toBe('emergency');
    expect(report.actions.filter((a) => a.kind === 'rotate').map((a) => [a.credential, a.outcome])).toEqual([
      ['b-1', 'done'],
      ['b-2', 'done'],
    ]);
    expect(
      await leakedKeyValues(world, [out.stdout, out.stderr, ...world.logs, JSON.stringify(report)]),
    ).toEqual([]);
    // Fulfilled: the next scheduled run rotates none of them again.
    const next = await world.run(6);
    expect(next.outcomes.filter((o) => o.action.kind === 'rotate')).toEqual([]);
  });

  it('what one call could not rotate stays requested: exit 1 naming it, and the scheduled run carries it on', async () => {
    const { world, plansOf } = await account();
    const out = await world.cli(['rotate', '--all', ...now(5)], [refuse(['c-1'])]);
    expect(out.code).toBe(1);
    // A second run tried c-1 again, then the call gave up: no progress left to make.
    expect(out.stdout).toMatch(
      /rotated 4 of 5 in .* \(2 run\(s\)\); 1 failed\n {2}failed c-1: ServiceUnavailableException/,
    );
    expect(out.stdout).toMatch(/1 not rotated yet \(c-1\): the request stays on their secrets/);
    // Day 5 is not due for anyone: the scheduled run rotates c-1 because it was requested.
    const next = await world.run(5.5);
    expect(
      next.outcomes.filter((o) => o.action.kind === 'rotate').map((o) => [o.action.credential, o.status]),
    ).toEqual([['c-1', 'done']]);
    expect(checkKeyInvariants(await readAwsState(world), plansOf, world.config)).toEqual([]);
  });

  it('bad input exits 2 and says what to give', async () => {
    const { world } = await account();
    expect(await world.cli(['rotate', ...now(5)])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /name the credential to rotate, or select many with --all, --plan, --policy or --prefix/,
      ),
    });
    expect(await world.cli(['rotate', 'a-1', '--all', ...now(5)])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/give a credential, or --all and selectors .*, not both/),
    });
    expect(await world.cli(['rotate', 'a-1', '--grace', '0', ...now(5)])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/add --yes to confirm/),
    });
    expect(await world.cli(['rotate', 'nobody', ...now(5)])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/credential "nobody" not found/),
    });
    // One credential has a dry run too: what would rotate, and how long it takes.
    const dry = await world.cli(['rotate', 'a-1', '--dry-run', ...now(5), '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, selected: 1, rotated: 0 });
  });
});
