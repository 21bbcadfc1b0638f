import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { onboardCredential } from '../../functions/onboarding/onboard.js';
import { accountPlugin } from '../support/emulator-account.js';
import { createPlans, dayAt, readAwsState, World } from '../support/world.js';

/** The CLI as Terraform users expect it (issue 12): saved plans, detailed exit codes, confirmation. */
describe('keyrot plan --out, apply FILE, --detailed-exitcode, confirmation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyrot-tf-'));
  const account = async (credentials: string[]) => {
    const world = new World();
    const [gold] = await createPlans(world.raw().apigw, ['gold']);
    for (const credential of credentials) {
      await onboardCredential(
        { ...world.clients(), config: world.config, now: dayAt(0) },
        { credential, usagePlanIds: [gold!], policy: '30d' },
      );
    }
    return world;
  };
  const at = (day: number) => ['--now', dayAt(day).toISOString()];
  const generations = async (world: World) =>
    (await readAwsState(world)).keys.map((k) => k.tags['rotation:generation']).sort();

  it('plan --detailed-exitcode: 0 with nothing to do, 2 with changes pending, 1 on bad input', async () => {
    const world = await account(['calm']);
    expect((await world.cli(['plan', '--detailed-exitcode', ...at(1)])).code).toBe(0);
    expect((await world.cli(['plan', '--detailed-exitcode', ...at(40)])).code).toBe(2);
    expect((await world.cli(['plan', '--detailed-exitcode', '--now', 'soon'])).code).toBe(1);
    expect((await world.cli(['plan', '--now', 'soon'])).code).toBe(2);
  });

  it('apply FILE applies the saved plan when the account still plans exactly it', async () => {
    const world = await account(['saved-a', 'saved-b']);
    const file = join(dir, 'ok.plan.json');
    const planned = await world.cli(['plan', '--out', file, ...at(40)]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      schema: 'keyrot/saved-plan@1',
      actions: [{ kind: 'rotate' }, { kind: 'rotate' }],
    });
    const applied = await world.cli(['apply', file, ...at(40), '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout).outcomes.map((o: { status: string }) => o.status)).toEqual([
      'done',
      'done',
    ]);
    expect(await generations(world)).toEqual(['1', '1', '2', '2']);
  });

  it('a saved plan is refused (exit 1, nothing written) when the account changed since, or is another one', async () => {
    const world = await account(['drift-a', 'drift-b']);
    const file = join(dir, 'stale.plan.json');
    expect((await world.cli(['plan', '--out', file, ...at(40)])).code).toBe(0);
    // Someone disables drift-a's key by hand: the account no longer plans what was saved.
    const key = (await readAwsState(world)).keys.find((k) => k.tags['rotation:credential'] === 'drift-a')!;
    await world.raw().apigw.send(
      new UpdateApiKeyCommand({
        apiKey: key.id,
        patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
      }),
    );
    const refused = await world.cli(['apply', file, ...at(40)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the account changed since plan .* was saved/);
    expect(refused.stderr).toContain('Nothing was applied');
    expect(await generations(world)).toEqual(['1', '1']);
    // The plan of one account does not apply to another.
    const other = await account(['drift-a', 'drift-b']);
    const elsewhere = await other.cli(['apply', join(dir, 'stale.plan.json'), ...at(40)]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/was made for account\/region \S+, not \S+/);
    expect(await generations(other)).toEqual(['1', '1']);
    writeFileSync(join(dir, 'junk.json'), '{"schema":"something else"}');
    expect((await world.cli(['apply', join(dir, 'junk.json'), ...at(40)])).code).toBe(2);
  });

  it('apply on a terminal shows the plan and asks; "no" writes nothing (exit 1), --yes does not ask', async () => {
    const world = await account(['asked']);
    const questions: string[] = [];
    const run = async (answer: boolean, extra: string[] = []) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(
        ['apply', ...at(40), ...extra, '--endpoint-url', world.endpoint, '--config', world.configFile()],
        {
          stdout: (t) => (stdout += t),
          stderr: (t) => (stderr += t),
          plugins: [accountPlugin(world.accountId)],
          confirm: async (q) => {
            questions.push(q);
            return answer;
          },
        },
      );
      return { code, stdout, stderr };
    };
    const no = await run(false);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/^to apply: 1 rotate, 0 disable-key, 0 delete-key$/m);
    expect(no.stderr).toContain('cancelled');
    expect(questions).toEqual([expect.stringContaining('apply these 1 action(s)')]);
    expect(await generations(world)).toEqual(['1']);
    const yes = await run(false, ['--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(questions).toHaveLength(1);
    expect(await generations(world)).toEqual(['1', '2']);
  });

  it('--profile reads the region and credentials of a named profile of the shared files', async () => {
    const world = await account(['profiled']);
    const home = mkdtempSync(join(tmpdir(), 'keyrot-aws-'));
    writeFileSync(
      join(home, 'config'),
      '[profile drill]\nregion = eu-west-1\n[profile here]\nregion = us-east-1\n',
    );
    writeFileSync(
      join(home, 'credentials'),
      '[drill]\naws_access_key_id = AKIDDRILL\naws_secret_access_key = drill\n[here]\naws_access_key_id = AKIDHERE\naws_secret_access_key = here\n',
    );
    const saved = {
      config: process.env.AWS_CONFIG_FILE,
      credentials: process.env.AWS_SHARED_CREDENTIALS_FILE,
    };
    process.env.AWS_CONFIG_FILE = join(home, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(home, 'credentials');
    try {
      const here = await world.cli(['status', '--profile', 'here', ...at(1), '--json']);
      expect(here.code, here.stderr).toBe(0);
      expect(JSON.parse(here.stdout).keys).toHaveLength(1);
      // The same account in the profile's other region: nothing there.
      const drill = await world.cli(['status', '--profile', 'drill', ...at(1), '--json']);
      expect(drill.code, drill.stderr).toBe(0);
      expect(JSON.parse(drill.stdout).keys).toEqual([]);
    } finally {
      for (const [name, value] of [
        ['AWS_CONFIG_FILE', saved.config],
        ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
