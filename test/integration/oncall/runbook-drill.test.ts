import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import type { PeriodReport } from '../../../functions/core/period-report.js';
import { rotationsSettled, useTimedEmulator } from '../../support/deployed.js';
import { captureEvents } from '../../support/events.js';
import { createPlans, leakedKeyValues, readAwsState, World } from '../../support/world.js';

const RUNBOOKS = join(import.meta.dirname, '../../../runbooks');
const CREDENTIAL = 'drill-partner';

/** The `keyrot ...` lines of a runbook's sh blocks, exactly as an engineer would paste them. */
function keyrotCommands(markdown: string): string[] {
  const commands: string[] = [];
  let inSh = false;
  for (const line of markdown.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('```')) {
      inSh = !inSh && trimmed === '```sh';
      continue;
    }
    if (inSh && trimmed.startsWith('keyrot ')) commands.push(trimmed);
  }
  return commands;
}

const runbooks = readdirSync(RUNBOOKS)
  .filter((f) => f.endsWith('.md'))
  .map((file) => ({ file, commands: keyrotCommands(readFileSync(join(RUNBOOKS, file), 'utf8')) }))
  .filter((r) => r.commands.length > 0);

// As against a deployed account: the functions deployed, the CLI's configuration naming the rotation
// function, rotations run by Secrets Manager (the emulator) through the function bundle.
const emulator = useTimedEmulator();

describe('runbook drill: every keyrot command in runbooks/ does what the runbook says', () => {
  it('finds the commands in every runbook that has any', () => {
    expect(runbooks.map((r) => r.file)).toEqual(
      expect.arrayContaining([
        'leaked-key.md',
        'mass-leak.md',
        'consumer-locked-out.md',
        'KeyRotationFailed.md',
      ]),
    );
    expect(runbooks.flatMap((r) => r.commands).length).toBeGreaterThan(15);
  });

  it.each(runbooks)('$file', async ({ file, commands }) => {
    const world = new World(undefined, { endpoint: emulator.endpoint() });
    await world.deploy();
    const [planId] = await createPlans(world.raw().apigw, ['gold']);
    const env: Record<string, string> = { CREDENTIAL, USAGE_PLAN_ID: planId! };
    const reports = mkdtempSync(join(tmpdir(), 'keyrot-drill-'));
    if (!commands.some((c) => c.startsWith('keyrot onboard'))) {
      await onboardCredential(
        { ...world.clients(), config: world.config, now: await world.clockNow() },
        { credential: CREDENTIAL, usagePlanIds: [planId!] },
      );
      await rotationsSettled(world.endpoint);
    }
    const events = await captureEvents(world.accountId, world.region, world.endpoint);
    const printed: string[] = [];
    for (const command of commands) {
      const args = command
        .replace(/^keyrot\s+/, '')
        .replace(/\$([A-Z_]+)/g, (_, name: string) => env[name] ?? `$${name}`)
        .split(/\s+/);
      const before = await readAwsState(world);
      const currentBefore = before.keys.find(
        (k) => k.value === before.secrets.find((s) => s.credential === CREDENTIAL)?.currentValue,
      );
      world.recorder.reset();
      // Every run the drill makes, scheduled-style or by hand, is on the record in this folder.
      const runs = ['plan', 'apply', 'onboard', 'rotate', 'rollback', 'suspend', 'resume'].includes(
        args[0] ?? '',
      );
      const recorded = runs ? [...args, '--report-dir', reports] : args;
      const { code, stdout, stderr } = await world.cli(recorded, [world.recorder.plugin()]);
      await rotationsSettled(world.endpoint);
      printed.push(stdout, stderr);
      expect({ command, code, stderr: code === 0 ? '' : stderr }).toEqual({ command, code: 0, stderr: '' });
      const after = await readAwsState(world);
      const secret = after.secrets.find((s) => s.credential === CREDENTIAL);
      const current = after.keys.find((k) => k.value === secret?.currentValue);
      const [sub] = args;
      if (sub === 'plan' || sub === 'status')
        expect({ command, writes: world.recorder.writes() }).toEqual({ command, writes: [] });
      if (sub === 'status') expect(stdout).toContain(args[1] ?? 'credential');
      if (sub === 'onboard') expect(current).toMatchObject({ enabled: true, planIds: [planId] });
      if (sub === 'rotate' && args.includes('--dry-run')) {
        expect({ command, writes: world.recorder.writes() }).toEqual({ command, writes: [] });
        expect(stdout).toMatch(/selected/);
      } else if (sub === 'rotate') {
        expect(current?.id).not.toBe(currentBefore?.id);
        expect(current).toMatchObject({ enabled: true, planIds: [planId] });
        const old = after.keys.find((k) => k.id === currentBefore?.id);
        if (args.includes('0')) {
          expect(old?.enabled).toBe(false);
          expect((await events.received()).map((e) => e['detail-type'])).toContain('API Key Revoked');
        } else if (!args.includes('--all')) {
          // The shorter grace stands on the secret's request; the old key works until it ends.
          expect(old).toMatchObject({ enabled: true });
          const described = await world
            .raw()
            .secrets.send(
              new DescribeSecretCommand({ SecretId: `${world.config.secretPrefix}${CREDENTIAL}` }),
            );
          const request = described.Tags?.find((t) => t.Key === 'rotation:rotate-requested')?.Value;
          expect(request).toMatch(/ grace=\d+ /);
        }
      }
      if (sub === 'rollback') {
        // The key that was current before the rotation is current and enabled again.
        expect(current?.id).not.toBe(currentBefore?.id);
        expect(current).toMatchObject({ enabled: true, planIds: [planId] });
        expect((await events.received()).map((e) => e['detail-type'])).toContain('API Key Rolled Back');
      }
      const keysOf = after.keys.filter((k) => k.tags['rotation:credential'] === CREDENTIAL);
      if (sub === 'suspend') {
        // Every key of the credential is off, and the suspension is on the secret's record.
        expect(keysOf.filter((k) => k.enabled)).toEqual([]);
        expect(secret?.tags['rotation:suspended']).toMatch(/^\d{4}-.* version=/);
      }
      if (sub === 'resume' && !args.includes('--dry-run')) {
        expect(current).toMatchObject({ enabled: true, planIds: [planId] });
        expect(secret?.tags['rotation:suspended']).toBeUndefined();
      }
      if (sub === 'resume' && args.includes('--dry-run'))
        expect({ command, writes: world.recorder.writes() }).toEqual({ command, writes: [] });
      // Prepare what the next command of a procedure expects: a previous key to roll back to.
      if (
        sub === 'status' &&
        file === 'consumer-locked-out.md' &&
        !commands.slice(0, commands.indexOf(command)).some((c) => c.includes('rollback'))
      ) {
        await world.cli(['rotate', CREDENTIAL]);
        await rotationsSettled(world.endpoint);
      }
    }
    expect(await leakedKeyValues(world, [...printed, ...(await world.functionLogs())])).toEqual([]);
    // The period report lists what the procedure did by hand: onboarding, emergency rotation, rollback.
    const today = (await world.clockNow()).toISOString().slice(0, 10);
    const period = await world.cli([
      'report',
      '--from',
      today,
      '--to',
      today,
      '--reports',
      reports,
      '--json',
    ]);
    expect(period.code, period.stderr).toBe(0);
    const { totals } = JSON.parse(period.stdout) as PeriodReport;
    const ran = (verb: string, without?: string) =>
      commands.some(
        (c) => c.startsWith(`keyrot ${verb} `) && (without === undefined || !c.includes(without)),
      );
    expect({ file, onboardings: totals.onboardings > 0 }).toEqual({ file, onboardings: ran('onboard') });
    expect({ file, rollbacks: totals.rollbacks > 0 }).toEqual({ file, rollbacks: ran('rollback') });
    expect({ file, suspensions: totals.suspensions > 0 }).toEqual({ file, suspensions: ran('suspend') });
    expect({ file, resumptions: totals.resumptions > 0 }).toEqual({
      file,
      resumptions: ran('resume', '--dry-run'),
    });
    expect({ file, emergency: totals.emergencyRotations > 0 }).toEqual({
      file,
      emergency: ran('rotate', '--dry-run'),
    });
  });
});
