import { CreateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { onboardCredential } from '../../functions/onboarding/onboard.js';
import type { PreflightResult } from '../../functions/core/preflight.js';
import { accountPlugin } from '../support/emulator-account.js';
import { createPlans, World } from '../support/world.js';

/** keyrot preflight against emulator accounts seeded to pass, warn and fail each check (issue 13). */
describe('keyrot preflight', () => {
  const config = parseConfig({ staggerPercent: 0, hygiene: { quota: { limit: 6, headroom: 2 } } });
  const run = async (world: World, args: string[] = []) => {
    const out = await world.cli(['preflight', '--json', ...args]);
    const results = (JSON.parse(out.stdout) as { results: PreflightResult[] }).results;
    return {
      code: out.code,
      verdicts: Object.fromEntries(results.map((r) => [r.check, r.verdict])),
      results,
    };
  };
  const lambdaQuota = (world: World, concurrentExecutions: number) =>
    fetch(`${world.endpoint}/_keyrot/lambda-account`, {
      method: 'POST',
      body: JSON.stringify({ concurrentExecutions }),
      headers: {
        'x-moto-account-id': world.accountId,
        authorization: `AWS4-HMAC-SHA256 Credential=x/20260101/${world.region}/apigateway/aws4_request`,
      },
    });
  const keys = async (world: World, n: number, tags?: Record<string, string>) => {
    for (let i = 0; i < n; i++)
      await world
        .raw()
        .apigw.send(new CreateApiKeyCommand({ name: `k-${i}-${Math.random()}`, enabled: true, tags }));
  };

  it('a fresh account passes every check: one line per check, exit 0', async () => {
    const world = new World(config);
    const out = await world.cli(['preflight']);
    expect(out.code, out.stderr).toBe(0);
    expect(
      out.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual([
      'PASS lambda-concurrency',
      'PASS api-key-quota',
      'PASS existing-names',
      'PASS competing-rotation',
      'PASS consumer-roles',
      'PASS replica-regions',
    ]);
  });

  it('replica regions (replicaRegions): each counted against its own key quota, and one that cannot be read fails', async () => {
    const world = new World({ ...config, replicaRegions: ['eu-west-1'] });
    const eu = world.rawApigw('eu-west-1');
    for (let i = 0; i < 5; i++) await eu.send(new CreateApiKeyCommand({ name: `eu-${i}`, enabled: true }));
    const tight = await run(world);
    expect(tight.verdicts['replica-regions']).toBe('warn');
    expect(tight.results.find((r) => r.check === 'replica-regions')?.message).toMatch(
      /^eu-west-1: 5 API keys of 6; eu-west-1 inside the 2-key headroom/,
    );
    // A region API Gateway does not serve (an opt-in region not enabled answers no better).
    const unknown = new World({ ...config, replicaRegions: ['xx-nowhere-9'] });
    const refused = await run(unknown);
    expect(refused.verdicts['replica-regions']).toBe('fail');
    expect(refused.results.find((r) => r.check === 'replica-regions')?.message).toMatch(/^xx-nowhere-9 \(/);
    expect(refused.code).toBe(1);
  });

  it('warns, exit 0: a low Lambda quota, keys inside the headroom, tags of another tool under the prefix', async () => {
    const world = new World(config);
    await lambdaQuota(world, 50);
    await keys(world, 4);
    await keys(world, 1, { 'rotation:owner': 'another-tool' });
    const { code, verdicts } = await run(world);
    expect(verdicts).toMatchObject({
      'lambda-concurrency': 'warn',
      'api-key-quota': 'warn',
      'existing-names': 'warn',
    });
    expect(code).toBe(0);
  });

  it('fails, exit 1: too little Lambda concurrency, the key quota full, a foreign secret under the prefix (a missing consumer role warns)', async () => {
    const world = new World(config);
    await lambdaQuota(world, 5);
    await keys(world, 6);
    await world.raw().secrets.send(new CreateSecretCommand({ Name: 'keyrot/not-ours', SecretString: '{}' }));
    const iam = new IAMClient({
      endpoint: world.endpoint,
      region: world.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    iam.middlewareStack.use(accountPlugin(world.accountId));
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'partner-reader',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      }),
    );
    const missing = `arn:aws:iam::${world.accountId}:role/no-such-role`;
    const { code, verdicts, results } = await run(world, ['--consumer', role.Role!.Arn!, missing]);
    expect(verdicts).toEqual({
      'lambda-concurrency': 'fail',
      'api-key-quota': 'fail',
      'existing-names': 'fail',
      'competing-rotation': 'pass',
      'consumer-roles': 'warn',
      'replica-regions': 'pass',
    });
    expect(code).toBe(1);
    const said = (check: string) => results.find((r) => r.check === check)!.message;
    expect(said('existing-names')).toContain('keyrot/not-ours');
    expect(said('consumer-roles')).toContain(missing);
    expect(said('consumer-roles')).not.toContain('partner-reader');
  });

  it("competing rotation: secrets rotated by another function fail once keyrot's is known, warn before", async () => {
    const world = new World(config);
    await world.deploy();
    const [gold] = await createPlans(world.raw().apigw, ['gold']);
    await onboardCredential(
      { ...world.clients(), config: world.config, now: await world.clockNow() },
      { credential: 'acme', usagePlanIds: [gold!] },
    );
    expect((await run(world)).verdicts['competing-rotation']).toBe('pass');
    const ours = world.config.rotationLambdaArn!;
    world.config = { ...world.config, rotationLambdaArn: ours.replace(/[^:]+$/, 'another-rotation') };
    expect((await run(world)).verdicts['competing-rotation']).toBe('fail');
    world.config = { ...world.config, rotationLambdaArn: undefined };
    expect((await run(world)).verdicts['competing-rotation']).toBe('warn');
  }, 120_000);
});
