/**
 * A two-region credential through what is deployed (issue 27): the esbuild bundles the CDK app ships,
 * with the template's environment and roles, the emulator's IAM checking every call they make. The
 * rotation function reaches eu-west-1's API Gateway with its own role's grants there (replicaRegions),
 * and the scheduled reconciler retires the old key in both regions.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { deployFunctions } from '../../../emulator/deploy.js';
import { inlinePolicies, plainIam } from '../../support/role-statements.js';
import { DEPLOYED_30D, rotationsSettled, useTimedEmulator } from '../../support/deployed.js';
import { createPlans, dayAt, readAwsState, readKeys, World, type KeyState } from '../../support/world.js';

const OTHER = 'eu-west-1';
const emulator = useTimedEmulator();

const accepted = (keys: KeyState[], value: string | undefined, plans: string[]) =>
  keys.some((k) => k.value === value && k.enabled && plans.every((p) => k.planIds.includes(p)));

describe('a two-region credential through the deployed functions, IAM on', () => {
  it('the deployed rotation function rotates both regions; the deployed reconciler retires the old key in both', async () => {
    const world = new World({ ...DEPLOYED_30D, replicaRegions: [OTHER] }, { endpoint: emulator.endpoint() });
    await world.deploy();
    await world.setClock(dayAt(0));
    const homePlans = await createPlans(world.raw().apigw, ['gold']);
    const otherPlans = await createPlans(world.rawApigw(OTHER), ['gold-eu']);
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0), regionalApis: world.regionalApis() },
      { credential: 'acme', usagePlanIds: homePlans, regions: [{ region: OTHER, usagePlanIds: otherPlans }] },
    );
    await rotationsSettled(world.endpoint);
    const current = async () => (await readAwsState(world)).secrets[0]?.currentValue;
    const before = await current();

    const schedule = async (day: number) => {
      await world.setClock(dayAt(day));
      const out = await world.clients().lambda.send(
        new InvokeCommand({
          FunctionName: world.deployment!.reconciler.arn,
          Payload: new TextEncoder().encode(JSON.stringify({ source: 'aws.scheduler' })),
        }),
      );
      const payload = new TextDecoder().decode(out.Payload);
      expect(out.FunctionError, payload).toBeUndefined();
      await rotationsSettled(world.endpoint);
    };

    await schedule(30);
    const after = await current();
    expect(after).not.toBe(before);
    for (const [apigw, plans] of [
      [world.raw().apigw, homePlans],
      [world.rawApigw(OTHER), otherPlans],
    ] as const) {
      const keys = await readKeys(apigw);
      expect(accepted(keys, after, plans)).toBe(true);
      expect(accepted(keys, before, plans)).toBe(true);
    }

    // Past the 7-day grace: the old key is disabled in both regions by the deployed reconciler.
    await schedule(38);
    for (const apigw of [world.raw().apigw, world.rawApigw(OTHER)]) {
      const keys = await readKeys(apigw);
      expect(keys.find((k) => k.value === before)?.enabled).toBe(false);
      expect(accepted(keys, after, [])).toBe(true);
    }
  }, 240_000);

  it("the stack deployed in the replica region too leaves the home region's roles as they were (IAM is global)", async () => {
    const world = new World({ ...DEPLOYED_30D, replicaRegions: [OTHER] }, { endpoint: emulator.endpoint() });
    const home = await world.deploy();
    const iam = plainIam(world);
    const policies = async (roleName: string) => (await inlinePolicies(iam, roleName)).join('\n');
    const roles = [home.reconciler.roleName, home.rotationFunction.roleName];
    const before = await Promise.all(roles.map(policies));
    expect(before.join('\n')).toContain(`:${world.region}:`);

    const { rotationLambdaArn: _, secretKmsKeyId: __, ...config } = world.config;
    const replica = await deployFunctions({
      endpoint: world.endpoint,
      accountId: world.accountId,
      region: OTHER,
      context: { 'keyrot:config': config },
    });

    // Before: the second deployment took the same role names and rewrote them with eu-west-1's resources.
    expect(await Promise.all(roles.map(policies))).toEqual(before);
    expect([replica.reconciler.roleName, replica.rotationFunction.roleName]).not.toContain(roles[0]);
    expect(await policies(replica.reconciler.roleName)).toContain(`:${OTHER}:`);
  }, 240_000);
});
