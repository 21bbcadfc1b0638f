import {
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { createPlans, dayAt, World } from '../../support/world.js';

const READER = 'arn:aws:iam::111122223333:role/partner-reader';
const BATCH = 'arn:aws:iam::444455556666:role/partner-batch';

/**
 * keyrot:consumers as the stack hands them over (the configuration's consumers): the reconciler keeps
 * each secret's resource policy to exactly them, whenever the credential is onboarded (issue 13: a
 * resource policy in the template failed the stack for a secret not made yet).
 */
/** acme onboarded into plan gold, READER configured as its consumer. */
async function acmeWithReader(): Promise<World> {
  const world = new World(parseConfig({ staggerPercent: 0, consumers: { acme: [READER] } }));
  const [gold] = await createPlans(world.raw().apigw, ['gold']);
  await onboardCredential(
    { ...world.clients(), config: world.config, now: dayAt(0) },
    { credential: 'acme', usagePlanIds: [gold!] },
  );
  return world;
}

describe('consumers in other accounts, granted at run time', () => {
  it('a credential onboarded after the deployment gets its grant on the next run, kept, changed and removed with the configuration', async () => {
    const world = await acmeWithReader();
    const { secrets } = world.raw();
    const policy = async () => {
      const answer = await secrets.send(new GetResourcePolicyCommand({ SecretId: 'keyrot/acme' }));
      return answer.ResourcePolicy === undefined
        ? undefined
        : (JSON.parse(answer.ResourcePolicy) as { Statement: unknown[] });
    };
    const kinds = async (day: number) =>
      (await world.run(day)).outcomes.map((o) => `${o.action.kind}:${o.action.credential}:${o.status}`);

    expect(await kinds(1)).toEqual(['grant-consumers:acme:done']);
    expect((await policy())?.Statement).toEqual([
      {
        Sid: 'ConsumerReadsItsOwnKey',
        Effect: 'Allow',
        // The role's account is the principal; the role itself is a condition (it may not exist yet).
        Principal: { AWS: ['arn:aws:iam::111122223333:root'] },
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': [READER] } },
      },
    ]);
    expect(await kinds(2)).toEqual([]);

    world.config = parseConfig({ staggerPercent: 0, consumers: { acme: [BATCH, READER] } });
    expect(await kinds(3)).toEqual(['grant-consumers:acme:done']);
    expect(JSON.stringify(await policy())).toContain(BATCH);

    world.config = parseConfig({ staggerPercent: 0 });
    expect(await kinds(4)).toEqual(['grant-consumers:acme:done']);
    expect(await policy()).toBeUndefined();
    const tags = (await secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/acme' }))).Tags ?? [];
    expect(tags.map((t) => t.Key)).not.toContain('rotation:consumers');
    expect(await kinds(5)).toEqual([]);
  });

  it("a security team's statement on the secret stays through grant, change and removal (issue 28, item 3)", async () => {
    const world = await acmeWithReader();
    const { secrets } = world.raw();
    const deny = {
      Sid: 'DenyOutsideOrganization',
      Effect: 'Deny',
      Principal: '*',
      Action: 'secretsmanager:*',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    };
    await secrets.send(
      new PutResourcePolicyCommand({
        SecretId: 'keyrot/acme',
        ResourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [deny] }),
      }),
    );
    const statements = async () => {
      const answer = await secrets.send(new GetResourcePolicyCommand({ SecretId: 'keyrot/acme' }));
      return (JSON.parse(answer.ResourcePolicy ?? '{"Statement":[]}') as { Statement: { Sid: string }[] })
        .Statement;
    };
    const run = async (day: number) =>
      expect((await world.run(day)).outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual([
        'grant-consumers:done',
      ]);

    await run(1);
    expect((await statements()).map((s) => s.Sid)).toEqual([
      'DenyOutsideOrganization',
      'ConsumerReadsItsOwnKey',
    ]);
    expect((await statements())[0]).toEqual(deny);
    world.config = parseConfig({ staggerPercent: 0, consumers: { acme: [BATCH] } });
    await run(2);
    expect((await statements())[0]).toEqual(deny);
    expect(JSON.stringify(await statements())).toContain(BATCH);
    expect(JSON.stringify(await statements())).not.toContain(READER);
    world.config = parseConfig({ staggerPercent: 0 });
    await run(3);
    expect(await statements()).toEqual([deny]);
  });
});
