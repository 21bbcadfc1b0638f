import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { dropStatement } from '../../support/role-statements.js';
import {
  DEPLOYED_30D,
  deployedWorld,
  emulatedRotations,
  rotationsSettled,
  useTimedEmulator,
} from '../../support/deployed.js';
import { checkKeyInvariants, createPlans, dayAt, readAwsState, type World } from '../../support/world.js';

/**
 * The emulator's IAM (emulator/iam/): the deployed functions' calls are authorized with their role's
 * policies from the template, the secret's resource policy and its key's policy, as IAM would. A
 * statement taken off the role (with the plain IAM API, as a hand edit in the console would) makes the
 * function's calls that needed it fail with the service's AccessDenied.
 */
const emulator = useTimedEmulator();

describe("the emulator's IAM: deployed functions act with their role's permissions", () => {
  it("with the template's policies, a rotation through the deployed rotation function passes (its secret encrypted with the stack's key)", async () => {
    const { world, plansOf } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D);
    expect(world.config.secretKmsKeyId).toMatch(/^arn:aws:kms:/);
    const result = await world.run(30);
    expect(result.outcomes.find((o) => o.action.kind === 'rotate')).toMatchObject({ status: 'done' });
    expect(checkKeyInvariants(await readAwsState(world), plansOf, world.config)).toEqual([]);
  });

  it.each([
    ['RotateManagedSecrets', 'secretsmanager:'],
    ['UseSecretsKeyThroughSecretsManager', 'kms:'],
    ['CreateApiKeys', 'apigateway:POST'],
  ])(
    "without the rotation role's %s statement the rotation fails with AccessDenied (%s), and AWSCURRENT stays on a working key",
    async (sid, action) => {
      const { world, plansOf } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D);
      await dropStatement(world, world.deployment!.rotationFunction.roleName, sid);
      // The run starts the rotation and does not wait for it: Secrets Manager's attempts all fail.
      const result = await world.run(30, [], { rotationWaitMs: 0 });
      expect(result.outcomes.find((o) => o.action.kind === 'rotate')?.status).not.toBe('done');
      await rotationsSettled(world.endpoint);
      const { rotations } = await emulatedRotations(world.endpoint, world.accountId);
      const errors = rotations
        .filter((r) => r.trigger === 'RotateSecret')
        .flatMap((r) => r.steps)
        .map((s) => s.error ?? '')
        .filter((e) => e !== '');
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.filter((e) => !(/AccessDenied/.test(e) && e.includes(action)))).toEqual([]);
      expect(checkKeyInvariants(await readAwsState(world), plansOf, world.config)).toEqual([]);
    },
  );

  /** One scheduled run of the deployed reconciler on `day`, as EventBridge Scheduler starts it. */
  async function scheduledRun(world: World, day: number) {
    await world.setClock(dayAt(day));
    const out = await world.clients().lambda.send(
      new InvokeCommand({
        FunctionName: world.deployment!.reconciler.arn,
        Payload: new TextEncoder().encode(
          JSON.stringify({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event' }),
        ),
      }),
    );
    const answer = JSON.parse(new TextDecoder().decode(out.Payload)) as Record<string, unknown>;
    expect(out.FunctionError, JSON.stringify(answer)).toBeUndefined();
    await rotationsSettled(world.endpoint);
    return answer as { actions: number; done: number; started: number; failed: number };
  }

  it("the deployed reconciler rotates, retires, forgets a hand re-enable and deletes with its role's permissions", async () => {
    const { world, plansOf } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D);
    const key = async () =>
      (await readAwsState(world)).keys.find((k) => k.tags['rotation:generation'] === '1');
    // Day 30: due; RotateSecret (and its implied lambda:InvokeFunction), metrics, events, the report.
    expect(await scheduledRun(world, 30)).toMatchObject({ failed: 0 });
    // Day 38: past the 7-day grace: the old key is disabled and its disable recorded (a tag).
    expect(await scheduledRun(world, 38)).toMatchObject({ failed: 0 });
    expect((await key())?.enabled).toBe(false);
    // Re-enabled by hand: the next run forgets the disable record (UntagResource) and disables it again.
    await world.raw().apigw.send(
      new UpdateApiKeyCommand({
        apiKey: (await key())!.id,
        patchOperations: [{ op: 'replace', path: '/enabled', value: 'true' }],
      }),
    );
    expect(await scheduledRun(world, 39)).toMatchObject({ failed: 0 });
    expect((await key())?.tags['rotation:disabled-at']).toBeUndefined();
    // Its retirement starts afresh: disabled again on day 54, deleted a full disable window (14 days) later.
    expect(await scheduledRun(world, 54)).toMatchObject({ failed: 0 });
    expect((await key())?.enabled).toBe(false);
    expect(await scheduledRun(world, 69)).toMatchObject({ failed: 0 });
    // (Ids only: a failing assertion prints what it compares, and a key's record holds its value.)
    expect((await key())?.id).toBeUndefined();
    expect(checkKeyInvariants(await readAwsState(world), plansOf, world.config)).toEqual([]);
  });

  it("without the reconciler role's DisableAndDeleteApiKeys statement, retiring the old key fails (AccessDenied) and the key stays enabled", async () => {
    const { world } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D);
    expect(await scheduledRun(world, 30)).toMatchObject({ failed: 0 });
    await dropStatement(world, world.deployment!.reconciler.roleName, 'DisableAndDeleteApiKeys');
    expect((await scheduledRun(world, 38)).failed).toBeGreaterThan(0);
    const lines = await world.functionLogs();
    expect(lines.some((l) => l.includes('AccessDenied') && l.includes('apigateway:PATCH'))).toBe(true);
    const old = (await readAwsState(world)).keys.find((k) => k.tags['rotation:generation'] === '1');
    expect(old === undefined ? 'deleted' : old.enabled).toBe(true);
  });

  it("without the reconciler role's FindRunLease (s3:ListBucket), the first run's read of the missing lease is 403 (S3 hides a missing key), and it starts nothing", async () => {
    const { world } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D);
    await dropStatement(world, world.deployment!.reconciler.roleName, 'FindRunLease');
    await world.setClock(dayAt(30));
    const out = await world.clients().lambda.send(
      new InvokeCommand({
        FunctionName: world.deployment!.reconciler.arn,
        Payload: new TextEncoder().encode(JSON.stringify({ source: 'aws.scheduler' })),
      }),
    );
    const answer = JSON.parse(new TextDecoder().decode(out.Payload)) as { errorMessage?: string };
    expect(out.FunctionError).toBeDefined();
    expect(answer.errorMessage).toContain('s3:ListBucket');
    // Nothing rotated: AWSCURRENT still names generation 1.
    const keys = (await readAwsState(world)).keys;
    expect(keys.map((k) => k.tags['rotation:generation'])).toEqual(['1']);
  });

  it("the deployed reconciler adopts an unmanaged key: its value into a secret encrypted with the stack's key (kms:GenerateDataKey through Secrets Manager)", async () => {
    const config = parseConfig({
      pacing: { quotaScale: 8 },
      staggerPercent: 0,
      defaultPolicy: '30d',
      hygiene: {
        posture: { action: 'ignore' },
        unused: { action: 'ignore' },
        unmanaged: { action: 'adopt' },
      },
    });
    const { world, plans } = await deployedWorld(emulator.endpoint(), config, []);
    const { apigw } = world.raw();
    const key = await apigw.send(new CreateApiKeyCommand({ name: 'mobile-app', enabled: true }));
    await apigw.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: plans[0]!, keyId: key.id!, keyType: 'API_KEY' }),
    );
    expect(await scheduledRun(world, 1)).toMatchObject({ failed: 0, done: 1 });
    const state = await readAwsState(world);
    expect(state.secrets.map((s) => s.credential)).toEqual(['mobile-app']);
  });

  it("the deployed reconciler puts the current key into a plan someone added the older key to (the plan sync's CreateUsagePlanKey)", async () => {
    const { world } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D);
    expect(await scheduledRun(world, 30)).toMatchObject({ failed: 0 });
    const { apigw } = world.raw();
    const [bronze] = await createPlans(apigw, ['bronze']);
    const generation = async (g: string) =>
      (await readAwsState(world)).keys.find((k) => k.tags['rotation:generation'] === g);
    // Still in its grace, the old key is added to a new plan by hand.
    await apigw.send(
      new CreateUsagePlanKeyCommand({
        usagePlanId: bronze!,
        keyId: (await generation('1'))!.id,
        keyType: 'API_KEY',
      }),
    );
    expect(await scheduledRun(world, 31)).toMatchObject({ failed: 0, done: 1 });
    expect((await generation('2'))?.planIds).toContain(bronze);
  });
});
