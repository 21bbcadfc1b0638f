import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../../functions/core/report.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { rotationsSettled, startTimedEmulator } from '../../support/deployed.js';
import { captureEvents } from '../../support/events.js';
import { createPlans, dayAt, leakedKeyValues, readAwsState, World } from '../../support/world.js';

/**
 * The on-call commands as they work against a deployed account: the CLI with the configuration naming
 * the deployed rotation function, so `keyrot rotate` starts a rotation that Secrets Manager (the
 * emulator) runs through the function bundle, and `--now` moves the emulator's clock.
 */
const emulator = await startTimedEmulator();

describe('on-call drills on the emulator, with the functions deployed', async () => {
  const world = new World(undefined, { endpoint: emulator.endpoint() });
  await world.deploy();
  await world.setClock(dayAt(0));
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  for (const credential of ['acme', 'globex', 'initech']) {
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0) },
      { credential, usagePlanIds: plans },
    );
  }
  await rotationsSettled(world.endpoint);
  const events = await captureEvents(world.accountId, world.region, world.endpoint);
  const printed: string[] = [];
  const cli = async (...args: string[]) => {
    const out = await world.cli(args);
    printed.push(out.stdout, out.stderr);
    return out;
  };
  // I4 after every drill: nothing it printed carries a key value. Its events are read (and dropped) too.
  afterEach(async () => {
    expect(await leakedKeyValues(world, printed.splice(0))).toEqual([]);
    await events.received();
  });
  const current = async (credential: string) => {
    const state = await readAwsState(world);
    const secret = state.secrets.find((s) => s.credential === credential)!;
    return { state, key: state.keys.find((k) => k.value === secret.currentValue)! };
  };

  it('leaked key: rotate --now --grace 0 disables the old key, the new one is current in every plan, a revocation event', async () => {
    const before = await current('acme');
    const out = await cli(
      'rotate',
      'acme',
      '--now',
      dayAt(10).toISOString(),
      '--grace',
      '0',
      '--yes',
      '--json',
    );
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      credential: 'acme',
      previousKeyId: before.key.id,
      revoked: true,
    });
    const after = await current('acme');
    expect(after.key.id).not.toBe(before.key.id);
    expect(after.key).toMatchObject({ enabled: true, planIds: [...plans].sort() });
    expect(after.state.keys.find((k) => k.id === before.key.id)).toMatchObject({ enabled: false });
    const received = await events.received();
    // The rotation ran as a reconciler run (trigger emergency), then the command's summary.
    expect(received.map((e) => e['detail-type'])).toEqual([
      'API Key Rotated',
      'API Key Revoked',
      'API Key Emergency Rotation Summary',
    ]);
    expect(received[1]?.detail).toMatchObject({
      credential: 'acme',
      keyId: before.key.id,
      trigger: 'emergency',
    });
  });

  it('rotate with a grace: the old key keeps working until then, and the schedule retires it at that time', async () => {
    const before = await current('globex');
    const out = await cli('rotate', 'globex', '--now', dayAt(10).toISOString(), '--grace', '12h');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      `old key ${before.key.id} works until ${new Date(dayAt(10).getTime() + 12 * 3_600_000).toISOString()}`,
    );
    const early = await cli(
      'plan',
      '--now',
      new Date(dayAt(10).getTime() + 11 * 3_600_000).toISOString(),
      '--json',
    );
    expect(JSON.parse(early.stdout).actions).toEqual([]);
    // The grace counts from the moment the new key became current: seconds after the request.
    const late = await cli(
      'apply',
      '--now',
      new Date(dayAt(10).getTime() + 12 * 3_600_000 + 60_000).toISOString(),
      '--json',
    );
    expect(JSON.parse(late.stdout).outcomes).toEqual([
      expect.objectContaining({ kind: 'disable-key', status: 'done' }),
    ]);
  });

  it('rollback: the previous key is current and enabled again, and the schedule leaves it so', async () => {
    const previous = (await current('acme')).key;
    const out = await cli('rotate', 'acme', '--now', dayAt(20).toISOString());
    expect(out.code).toBe(0);
    const rolledBack = await cli('rollback', 'acme', '--now', dayAt(21).toISOString(), '--json');
    expect(rolledBack.code).toBe(0);
    const after = await current('acme');
    expect(after.key.id).toBe(previous.id);
    expect(after.key).toMatchObject({ enabled: true, planIds: [...plans].sort() });
    const next = await cli('plan', '--now', dayAt(22).toISOString(), '--json');
    const kinds = JSON.parse(next.stdout).actions.map((a: { kind: string }) => a.kind);
    expect(kinds).not.toContain('rotate');
    expect(kinds).not.toContain('resume-rotation');
    expect((await events.received()).map((e) => e['detail-type'])).toContain('API Key Rolled Back');
  });

  it('status shows every key of a credential with its state and next rotation', async () => {
    const out = await cli('status', 'acme', '--now', dayAt(22).toISOString(), '--json');
    expect(out.code).toBe(0);
    const { keys } = JSON.parse(out.stdout);
    expect(keys.map((k: { state: string }) => k.state).sort()).toEqual(['active', 'disabled', 'retiring']);
    // Rolled back on day 21 to the key made current on day 10: its age counts from day 10.
    const active = keys.find((k: { state: string }) => k.state === 'active');
    expect(active.activatedAt.slice(0, 10)).toBe(dayAt(10).toISOString().slice(0, 10));
    expect(active.nextRotationAt).toBe(
      new Date(new Date(active.activatedAt).getTime() + 90 * 86_400_000).toISOString(),
    );
    expect((await cli('status', 'nobody', '--now', dayAt(22).toISOString())).code).toBe(2);
  });

  it('rollback refuses to bring back a revoked (leaked) key unless forced, and a forced one is on the record', async () => {
    const leaked = (await current('initech')).key;
    const revoke = await cli('rotate', 'initech', '--now', dayAt(30).toISOString(), '--grace', '0');
    expect(revoke.code, revoke.stderr).toBe(2);
    expect(revoke.stderr).toContain('--yes');
    expect((await current('initech')).key.id).toBe(leaked.id);
    expect(
      (await cli('rotate', 'initech', '--now', dayAt(30).toISOString(), '--grace', '0', '--yes')).code,
    ).toBe(0);
    const refused = await cli('rollback', 'initech', '--now', dayAt(31).toISOString());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`key ${leaked.id}`);
    expect(refused.stderr).toContain('revoked');
    expect(refused.stderr).toContain('--force');
    expect((await current('initech')).key.id).not.toBe(leaked.id);
    const unconfirmed = await cli('rollback', 'initech', '--force', '--now', dayAt(31).toISOString());
    expect(unconfirmed.code).toBe(2);
    await events.received();
    const reports = mkdtempSync(join(tmpdir(), 'keyrot-forced-'));
    const forced = await cli(
      'rollback',
      'initech',
      '--force',
      '--yes',
      '--now',
      dayAt(31).toISOString(),
      '--report-dir',
      reports,
    );
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('FORCED');
    const after = await current('initech');
    expect(after.key).toMatchObject({ id: leaked.id, enabled: true });
    expect(after.key.tags['rotation:revoked-at']).toBeUndefined();
    const rolledBack = (await events.received()).find((e) => e['detail-type'] === 'API Key Rolled Back');
    expect(rolledBack?.detail).toMatchObject({
      credential: 'initech',
      restoredKeyId: leaked.id,
      forced: true,
    });
    const report = JSON.parse(
      readFileSync(
        join(
          reports,
          readdirSync(reports).find((f) => f.endsWith('.json'))!,
        ),
        'utf8',
      ),
    ) as RunReport;
    expect(report.actions).toEqual([
      expect.objectContaining({
        kind: 'rollback',
        credential: 'initech',
        outcome: 'done',
        reason: expect.stringContaining('FORCED'),
      }),
    ]);
  });

  it('no key value in what the rotation function logged through the drills', async () => {
    const logs = await world.functionLogs();
    expect(logs.length).toBeGreaterThan(0);
    expect(await leakedKeyValues(world, logs)).toEqual([]);
  });
});
