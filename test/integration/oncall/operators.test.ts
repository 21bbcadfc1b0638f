import { UpdateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  deployedWorld as deployedWorldIn,
  emulatedRotations,
  rotationsSettled,
  DEPLOYED_30D,
  useTimedEmulator,
} from '../../support/deployed.js';
import { dayAt, readAwsState, type AwsState, type World } from '../../support/world.js';

/**
 * What people do beside keyrot, on the deployed path: a key disabled in the console, a consumer
 * suspended on purpose. Checked with the plain SDK (readAwsState), never the product's own reads: a
 * consumer cut off gets no working key from anything scheduled (the reconciler's runs, Secrets
 * Manager's own schedule) until `keyrot resume` or `keyrot rotate`.
 */
const config = DEPLOYED_30D;
const emulator = useTimedEmulator();
const deployedWorld = (credentials: string[]) => deployedWorldIn(emulator.endpoint(), config, credentials);

/** The keys of a credential that would let its consumer in: enabled, and in a usage plan. */
const workingKeys = (state: AwsState, credential: string) =>
  state.keys.filter((k) => k.tags['rotation:credential'] === credential && k.enabled && k.planIds.length > 0);
const currentKey = (state: AwsState, credential: string) => {
  const secret = state.secrets.find((s) => s.credential === credential);
  return state.keys.find((k) => k.value !== '' && k.value === secret?.currentValue);
};

async function disableByHand(world: World, keyId: string): Promise<void> {
  await world.raw().apigw.send(
    new UpdateApiKeyCommand({
      apiKey: keyId,
      patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
    }),
  );
}

/** Scheduled runs every `step` days to `days`, Secrets Manager's schedule ticking in between. */
async function scheduledYear(
  world: World,
  from: number,
  days: number,
  step: number,
  check: (day: number) => Promise<void>,
): Promise<void> {
  for (let day = from; day <= days; day += step) {
    const run = await world.run(day);
    expect(run.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    await rotationsSettled(world.endpoint);
    await check(day);
  }
}

describe('a consumer cut off stays cut off until an operator lets it back in', () => {
  it('leak: the key disabled in the console first, then keyrot rotate --grace 0 gives a new key in every plan and revokes the old one', async () => {
    const { world, plans } = await deployedWorld(['partner']);
    const leaked = currentKey(await readAwsState(world), 'partner')!;
    await disableByHand(world, leaked.id);
    const out = await world.cli([
      'rotate',
      'partner',
      '--now',
      dayAt(5).toISOString(),
      '--grace',
      '0',
      '--yes',
      '--json',
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ previousKeyId: leaked.id, revoked: true });
    await rotationsSettled(world.endpoint);
    const after = await readAwsState(world);
    const fresh = currentKey(after, 'partner');
    expect(fresh?.id).not.toBe(leaked.id);
    expect(fresh).toMatchObject({ enabled: true, planIds: [...plans].sort() });
    const old = after.keys.find((k) => k.id === leaked.id);
    expect(old).toMatchObject({ enabled: false });
    expect(old?.tags['rotation:revoked-at']).toBeDefined();
    // The next days' runs find nothing wrong and leave the new key working.
    const next = await world.run(6);
    expect(next.plan.findings.map((f) => f.kind)).not.toContain('current-key-disabled');
    expect(workingKeys(await readAwsState(world), 'partner').map((k) => k.id)).toEqual([fresh!.id]);
  });

  it('a key disabled by hand: no run and no Secrets Manager schedule gives the consumer a key for a year; resume does', async () => {
    const { world, plans, onboarded } = await deployedWorld(['partner']);
    await disableByHand(world, onboarded[0]!.keyId);
    // No run for 40 days: Secrets Manager's own schedule (30 + 7 days) comes, and its rotation is refused.
    await world.setClock(dayAt(40));
    await expect
      .poll(
        async () =>
          (await emulatedRotations(world.endpoint, world.accountId)).rotations.filter(
            (r) => r.trigger === 'schedule' && r.status !== 'running',
          ).length,
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
    const refused = (await emulatedRotations(world.endpoint, world.accountId)).rotations.find(
      (r) => r.trigger === 'schedule',
    );
    expect(refused?.status).toBe('failed');
    expect(refused?.steps.map((s) => s.error).join('\n')).toMatch(/refused: its current key .* is disabled/);
    expect(workingKeys(await readAwsState(world), 'partner')).toEqual([]);
    // A year of daily-ish runs: held (findings, not overdue), the schedule moved out of the way.
    await scheduledYear(world, 41, 400, 30, async (day) => {
      expect({ day, working: workingKeys(await readAwsState(world), 'partner') }).toEqual({
        day,
        working: [],
      });
    });
    const described = await world
      .raw()
      .secrets.send(new DescribeSecretCommand({ SecretId: onboarded[0]!.secretArn }));
    expect(described.RotationRules?.AutomaticallyAfterDays).toBe(1000);
    const last = await world.run(401);
    expect(last.plan.stats.overdueKeys).toBe(0);
    expect(last.plan.findings.find((f) => f.kind === 'current-key-disabled')?.message).toContain(
      'keyrot resume partner',
    );
    // Past its 30-day period: resume rotates, and the consumer has a working key in every plan.
    const resumed = await world.cli(['resume', 'partner', '--now', dayAt(402).toISOString()]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resumed partner by rotating it');
    await rotationsSettled(world.endpoint);
    const after = await readAwsState(world);
    expect(currentKey(after, 'partner')).toMatchObject({ enabled: true, planIds: [...plans].sort() });
    expect(workingKeys(after, 'partner')).toHaveLength(1);
  });

  it('keyrot suspend: every key off; runs, selectors, rollback and a rotation started by hand leave it off; resume lets it back in', async () => {
    const { world, plans, onboarded } = await deployedWorld(['partner', 'other']);
    const secretArn = onboarded[0]!.secretArn;
    // A rotation first, so an older key is in its grace (and a rollback would have a key to restore).
    expect((await world.cli(['rotate', 'partner', '--now', dayAt(3).toISOString()])).code).toBe(0);
    await rotationsSettled(world.endpoint);
    expect(workingKeys(await readAwsState(world), 'partner')).toHaveLength(2);
    const suspended = await world.cli([
      'suspend',
      'partner',
      '--reason',
      'invoice 4711 unpaid',
      '--now',
      dayAt(4).toISOString(),
      '--yes',
    ]);
    expect(suspended.code, suspended.stderr).toBe(0);
    expect(suspended.stdout).toContain('suspended: partner cut off (invoice 4711 unpaid)');
    expect(workingKeys(await readAwsState(world), 'partner')).toEqual([]);

    const all = await world.cli(['rotate', '--all', '--now', dayAt(5).toISOString(), '--dry-run']);
    expect(all.stdout).toMatch(/skipped partner: suspended since .* \(invoice 4711 unpaid\)/);
    const rollback = await world.cli(['rollback', 'partner', '--now', dayAt(5).toISOString()]);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toContain('keyrot resume partner first');
    // Someone starts a rotation by hand: the rotation function refuses it.
    await world.raw().secrets.send(new RotateSecretCommand({ SecretId: secretArn }));
    await rotationsSettled(world.endpoint);
    expect(workingKeys(await readAwsState(world), 'partner')).toEqual([]);

    await scheduledYear(world, 6, 370, 40, async (day) => {
      expect({ day, working: workingKeys(await readAwsState(world), 'partner') }).toEqual({
        day,
        working: [],
      });
      // The other consumer is rotated as usual all along.
      expect(workingKeys(await readAwsState(world), 'other').length).toBeGreaterThan(0);
    });
    const planned = await world.cli(['plan', '--now', dayAt(371).toISOString(), '--json']);
    const findings = JSON.parse(planned.stdout).findings as { kind: string; message: string }[];
    expect(findings.find((f) => f.kind === 'credential-suspended')?.message).toContain('invoice 4711 unpaid');
    // The report's row, status and metrics agree: suspended since day 4, with its reason, not overdue.
    const status = await world.cli(['status', 'partner', '--now', dayAt(371).toISOString(), '--json']);
    const active = (JSON.parse(status.stdout).keys as Record<string, unknown>[]).find(
      (k) => k.state === 'active',
    );
    expect(active).toMatchObject({
      suspendReason: 'invoice 4711 unpaid',
      suspendedSince: expect.stringMatching(new RegExp(`^${dayAt(4).toISOString().slice(0, 10)}`)),
      compliant: true,
      nextRotationAt: null,
    });
    const text = await world.cli(['status', 'partner', '--now', dayAt(371).toISOString()]);
    expect(text.stdout).toContain(`SUSPENDED ${dayAt(4).toISOString().slice(0, 10)}`);
    const year = await world.run(371);
    expect(year.metrics.find((m) => m.name === 'OverdueKeys')?.value).toBe(0);
    expect(year.metrics.find((m) => m.name === 'SuspendedCredentials')?.value).toBe(1);
    expect(year.report.totals.overdue).toBe(0);

    const resumed = await world.cli(['resume', 'partner', '--now', dayAt(372).toISOString(), '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    await rotationsSettled(world.endpoint);
    const after = await readAwsState(world);
    expect(currentKey(after, 'partner')).toMatchObject({ enabled: true, planIds: [...plans].sort() });
    expect(after.secrets.find((s) => s.credential === 'partner')?.tags['rotation:suspended']).toBeUndefined();
    // Resumed, it rotates on its schedule again.
    const run = await world.run(373);
    expect(run.plan.findings.map((f) => f.kind)).not.toContain('credential-suspended');
  });

  it('a rollback of a key that was due holds it by default: the next scheduled run does not rotate it again', async () => {
    const { world, plans } = await deployedWorld(['partner']);
    expect((await world.run(30)).outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual([
      'rotate:done',
    ]);
    const restored = (await readAwsState(world)).keys.find((k) => k.tags['rotation:generation'] === '1')!;
    const out = await world.cli(['rollback', 'partner', '--now', dayAt(31).toISOString()]);
    expect(out.code, out.stderr).toBe(0);
    // Generation 1 became current on day 0 (30d policy: 7 days of grace): due on day 30, held to day 38.
    expect(out.stdout).toContain(
      `rotation held until ${dayAt(38).toISOString().slice(0, 10)} (the restored key was due ${dayAt(30).toISOString().slice(0, 10)})`,
    );
    for (const day of [32, 33, 37]) {
      const run = await world.run(day);
      expect({ day, rotations: run.outcomes.filter((o) => o.action.kind === 'rotate') }).toEqual({
        day,
        rotations: [],
      });
      expect(currentKey(await readAwsState(world), 'partner')).toMatchObject({
        id: restored.id,
        enabled: true,
        planIds: [...plans].sort(),
      });
    }
    // The hold ends: rotated as the policy says.
    const due = await world.run(38);
    expect(due.outcomes.filter((o) => o.action.kind === 'rotate').map((o) => o.status)).toEqual(['done']);
  });

  // Found by the operator histories (test/support/chaos.ts), shrunk: run, run, disable the current key by hand.
  it('a current key disabled by hand while an older key is in its grace: that older key still retires when its grace ends', async () => {
    const { world } = await deployedWorld(['partner']);
    expect((await world.run(30)).outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual([
      'rotate:done',
    ]);
    const state = await readAwsState(world);
    const old = state.keys.find((k) => k.tags['rotation:generation'] === '1')!;
    await disableByHand(world, currentKey(state, 'partner')!.id);
    await world.run(31);
    expect(workingKeys(await readAwsState(world), 'partner').map((k) => k.id)).toEqual([old.id]);
    // 30d policy: 7 days of grace from the rotation, seconds after day 30 began.
    const retired = await world.run(38);
    expect(retired.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toContain('disable-key:done');
    expect(workingKeys(await readAwsState(world), 'partner')).toEqual([]);
  });
});
