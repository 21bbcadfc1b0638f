import { CreateUsagePlanCommand, GetUsagePlanCommand } from '@aws-sdk/client-api-gateway';
import type { SdkPlugin } from '../../functions/commons/clients.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { staggerDays } from '../../functions/core/time.js';
import { accountPlugin, emulatorEndpoint } from '../support/emulator-account.js';
import { createPlans, leakedValues, readAwsState, World } from '../support/world.js';

function failing(commandName: string): SdkPlugin {
  return {
    applyToStack: (stack) =>
      stack.add(
        (next, context) => async (args) => {
          if (context.commandName === commandName) {
            throw Object.assign(new Error('injected: service unavailable'), {
              name: 'ServiceUnavailableException',
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'failOne' },
      ),
  };
}

/** What the CLI printed since the last check (every call of cli() adds to it). */
const printed: string[] = [];

async function cli(world: World, args: string[], plugins: SdkPlugin[] = []) {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...args, '--endpoint-url', emulatorEndpoint()], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    plugins: [accountPlugin(world.accountId), world.recorder.plugin(), ...plugins],
  });
  printed.push(stdout, stderr);
  return { code, stdout, stderr };
}

describe('keyrot CLI on the emulator', async () => {
  const world = new World();
  const [gold] = await createPlans(world.raw().apigw, ['gold']);
  // I4 after every test: nothing the CLI printed in it carries a key value of the account.
  afterEach(async () => {
    const state = await readAwsState(world);
    expect(
      leakedValues(
        state.keys.map((k) => k.value),
        printed.splice(0),
      ),
    ).toEqual([]);
  });

  it('onboard creates a credential: its secret and a first key in the plan', async () => {
    const out = await cli(world, [
      'onboard',
      'acme',
      '--plan',
      gold!,
      '--policy',
      '30d',
      '--now',
      '2026-01-01T00:00:00Z',
      '--json',
    ]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ credential: 'acme', keyId: expect.any(String) });
  });

  it('plan --json: nothing due, nothing written, exit 0', async () => {
    world.recorder.reset();
    const out = await cli(world, ['plan', '--now', '2026-01-15T00:00:00Z', '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ dryRun: true, actions: [], stats: { managedKeys: 1 } });
    expect(world.recorder.writes()).toEqual([]);
  });

  it('plan shows the due rotation and why; it writes nothing', async () => {
    world.recorder.reset();
    const out = await cli(world, ['plan', '--now', '2026-02-01T00:00:00Z']);
    expect(out.code).toBe(0);
    // acme's first rotation is staggered a fixed number of days early (default 20% of the period).
    const due = new Date(Date.UTC(2026, 0, 31 - staggerDays('acme', 6))).toISOString().slice(0, 10);
    expect(out.stdout).toMatch(
      new RegExp(`planned\\s+rotate\\s+acme\\s+.*policy 30d rotates every 30 days \\(due ${due}\\)`),
    );
    expect(world.recorder.writes()).toEqual([]);
  });

  it('apply rotates it (exit 0), and the new key is current', async () => {
    const out = await cli(world, ['apply', '--now', '2026-02-01T00:00:00Z', '--json']);
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout);
    expect(result.outcomes).toEqual([
      expect.objectContaining({ kind: 'rotate', credential: 'acme', status: 'done' }),
    ]);
    const state = await readAwsState(world);
    const current = state.keys.find((k) => k.value === state.secrets[0]?.currentValue);
    expect(current?.tags['rotation:generation']).toBe('2');
  });

  it('apply in a CI log (stderr no terminal): plain progress lines, the tally planned and the tally applied (issue 12, item 9)', async () => {
    const out = await cli(world, ['apply', '--now', '2026-03-05T00:00:00Z']);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/^\[1\/\d+\] rotate acme$/m);
    expect(out.stderr).not.toContain('\r');
    expect(out.stdout).toMatch(/^to apply: 1 rotate, \d+ disable-key, \d+ delete-key/m);
    expect(out.stdout).toMatch(/^applied: \d+ done, 0 failed, 0 deferred, 0 still running$/m);
  });

  it('apply exits 1 when an action fails, and names the failure', async () => {
    const out = await cli(
      world,
      ['apply', '--now', '2026-04-10T00:00:00Z'],
      [failing('CreateApiKeyCommand')],
    );
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('failed  rotate');
    expect(out.stdout).toContain('ServiceUnavailableException');
  });

  it.each([
    [['plan', '--now', 'yesterday'], '--now "yesterday" is not an ISO-8601 time'],
    [
      ['plan', '--config', '/nonexistent/keyrot.json'],
      'config file /nonexistent/keyrot.json cannot be read: ENOENT',
    ],
    [['onboard', 'bad name!', '--plan', 'x'], 'credential "bad name!" is not a valid name'],
    [
      ['onboard', 'other', '--plan', 'x', '--policy', 'weekly'],
      'policy "weekly" is not one of 30d, 60d, 90d',
    ],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['apply', '--rotation', 'sometimes'], "argument 'sometimes' is invalid"],
    // Options belong to the verbs they mean something to.
    [['status', '--report-dir', '/tmp/x'], "unknown option '--report-dir'"],
    [
      ['report', '--from', '2026-01-01', '--to', '2026-01-02', '--rotation', 'in-process'],
      "unknown option '--rotation'",
    ],
    [
      ['plan', '--log-level', 'LOUD'],
      "argument 'LOUD' is invalid. expected one of DEBUG, INFO, WARN, ERROR, SILENT",
    ],
    [
      ['report', '--from', '2026-01-01', '--to', '2026-01-31', '--reports', '/nonexistent/reports'],
      '--reports /nonexistent/reports is not a folder',
    ],
    [
      ['onboard', 'newc', '--plan', 'nosuchplan'],
      'usage plan(s) nosuchplan not found in this account and region',
    ],
  ])('bad input %j exits 2 with a clear message', async (args, message) => {
    const out = await cli(world, args);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(message);
  });

  it('a failed onboard writes nothing, so the same onboard with good plans then works', async () => {
    const { apigw } = world.raw();
    const stages = (await apigw.send(new GetUsagePlanCommand({ usagePlanId: gold! }))).apiStages;
    const twin = (await apigw.send(new CreateUsagePlanCommand({ name: 'gold-twin', apiStages: stages }))).id!;
    world.recorder.reset();
    const unknown = await cli(world, ['onboard', 'newc', '--plan', gold!, '--plan', 'nosuchplan']);
    const shared = await cli(world, ['onboard', 'newc', '--plan', gold!, '--plan', twin]);
    expect([unknown.code, shared.code]).toEqual([2, 2]);
    expect(shared.stderr).toContain(`usage plans ${gold} and ${twin} both open API stage`);
    expect(world.recorder.writes()).toEqual([]);
    const retried = await cli(world, ['onboard', 'newc', '--plan', gold!, '--json']);
    expect(retried.code).toBe(0);
    const state = await readAwsState(world);
    expect(state.keys.filter((k) => k.tags['rotation:credential'] === 'newc').map((k) => k.planIds)).toEqual([
      [gold],
    ]);
  });

  it.each(['CreateUsagePlanKeyCommand', 'CreateApiKeyCommand', 'RotateSecretCommand'])(
    'an onboard that fails part-way (%s) is finished by running it again: one key, in every plan, rotation on (issue 12, item 1)',
    async (failingCall) => {
      const name = `half-${failingCall.replace('Command', '').toLowerCase()}`;
      const plans = await createPlans(world.raw().apigw, ['one', 'two'], `${name}-api`);
      const args = ['onboard', name, '--plan', ...plans];
      const failed = await cli(world, args, [failing(failingCall)]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('run the same keyrot onboard command again');
      const finished = await cli(world, [...args, '--json']);
      expect(finished.code, finished.stderr).toBe(0);
      const state = await readAwsState(world);
      const keys = state.keys.filter((k) => k.tags['rotation:credential'] === name);
      expect(keys.map((k) => [k.enabled, k.planIds])).toEqual([[true, [...plans].sort()]]);
      const secret = state.secrets.find((s) => s.credential === name);
      expect(secret).toMatchObject({ rotationEnabled: true, currentValue: keys[0]!.value });
      expect(JSON.parse(finished.stdout)).toMatchObject({ credential: name, keyId: keys[0]!.id });
      // Finished, the name is taken.
      const again = await cli(world, args);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`credential ${name} already exists`);
    },
  );

  it('AWS_ENDPOINT_URL counts as --endpoint-url: an emergency rotation on the emulator ends at once', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = emulatorEndpoint();
    try {
      let stderr = '';
      const code = await runCli(['rotate', 'newc', '--grace', '0', '--yes', '--json'], {
        stdout: (t) => printed.push(t),
        stderr: (t) => (stderr += t),
        plugins: [accountPlugin(world.accountId)],
      });
      printed.push(stderr);
      expect({ code, stderr }).toMatchObject({ code: 0 });
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
    const keys = (await readAwsState(world)).keys.filter((k) => k.tags['rotation:credential'] === 'newc');
    expect(keys.filter((k) => k.enabled)).toHaveLength(1);
    expect(keys.map((k) => k.tags['rotation:generation']).sort()).toEqual(['1', '2']);
  }, 60_000);

  it('status says a key is due once its rotation day came and OVERDUE past its grace, as the planner decides (issue 12, item 4)', async () => {
    // acme's key became current on 2026-03-05 (30d policy, 7 days of grace): due 2026-04-04.
    const calm = await cli(world, ['status', 'acme', '--now', '2026-04-01T00:00:00Z']);
    expect(calm.stdout).toMatch(/^acme\s+active\s+\S+\s+\d+ 2026-03-05\s+2026-04-04\s+\S/m);
    const due = await cli(world, ['status', 'acme', '--now', '2026-04-05T00:00:00Z']);
    expect(due.stdout).toMatch(/^acme\s+active\s+\S+\s+\d+ 2026-03-05\s+2026-04-04 due\s/m);
    const overdue = await cli(world, ['status', 'acme', '--now', '2026-05-01T00:00:00Z']);
    expect(overdue.stdout).toMatch(/^acme\s+active\s+\S+\s+\d+ 2026-03-05\s+2026-04-04 OVERDUE\s/m);
  });
});
