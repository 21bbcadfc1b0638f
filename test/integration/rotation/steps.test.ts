import { CreateApiKeyCommand, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { RotationStepError, SecretFormatError } from '../../../functions/commons/errors.js';
import { rotationToken } from '../../../functions/rotation/secret-value.js';
import { runRotationStep, ROTATION_STEPS, type RotationDeps } from '../../../functions/rotation/steps.js';
import { createPlans, dayAt, readAwsState, World } from '../../support/world.js';

async function setUp(credential = 'acme') {
  const world = new World();
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  const clients = world.clients();
  const onboarded = await onboardCredential(
    { ...clients, config: world.config, now: dayAt(0) },
    { credential, usagePlanIds: plans },
  );
  const deps = (extra: Partial<RotationDeps> = {}): RotationDeps => ({
    ...clients,
    config: world.config,
    now: () => dayAt(90),
    log: world.log(),
    ...extra,
  });
  return { world, plans, clients, onboarded, deps };
}

async function startRotation(world: World, secretId: string, token?: string): Promise<string> {
  const out = await world.raw().secrets.send(
    new RotateSecretCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      RotationRules: { AutomaticallyAfterDays: 90 },
    }),
  );
  return out.VersionId ?? '';
}

describe('rotation steps (the Secrets Manager rotation contract)', () => {
  it('each step run twice does what it does once: one new key, in every plan, made current', async () => {
    const { world, onboarded, deps, plans } = await setUp();
    const token = await startRotation(world, onboarded.secretArn);
    for (const step of ROTATION_STEPS) {
      await runRotationStep({ Step: step, SecretId: onboarded.secretArn, ClientRequestToken: token }, deps());
      await runRotationStep({ Step: step, SecretId: onboarded.secretArn, ClientRequestToken: token }, deps());
    }
    const state = await readAwsState(world);
    expect(state.keys).toHaveLength(2);
    const current = state.keys.find((k) => k.value === state.secrets[0]?.currentValue);
    expect(current).toMatchObject({ enabled: true, planIds: [...plans].sort() });
    expect(current?.tags).toMatchObject({
      'rotation:credential': 'acme',
      'rotation:generation': '2',
      'rotation:version': token,
    });
    // When it became current is on the secret (Secrets Manager's tag budget, not API Gateway's).
    const described = await world
      .raw()
      .secrets.send(new DescribeSecretCommand({ SecretId: onboarded.secretArn }));
    const activations = described.Tags?.find((t) => t.Key === 'rotation:activations')?.Value;
    expect(activations).toBe(`2=${dayAt(90).getTime() / 1000}`);
    expect(state.secrets[0]?.versions[onboarded.version]).toContain('AWSPREVIOUS');
  });

  it('the value is written before any key exists, and a retried createSecret keeps it', async () => {
    const { world, onboarded, deps } = await setUp();
    const token = await startRotation(world, onboarded.secretArn);
    const values = ['A'.repeat(40), 'B'.repeat(40)];
    await runRotationStep(
      { Step: 'createSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      deps({ generateValue: () => values[0]! }),
    );
    await runRotationStep(
      { Step: 'createSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      deps({ generateValue: () => values[1]! }),
    );
    expect((await readAwsState(world)).keys).toHaveLength(1);
    await runRotationStep(
      { Step: 'setSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      deps(),
    );
    const keys = (await readAwsState(world)).keys;
    expect(keys.map((k) => k.value)).toContain(values[0]);
    expect(keys.map((k) => k.value)).not.toContain(values[1]);
  });

  it('a value another key already has: the version is abandoned, and the next attempt starts fresh', async () => {
    const { world, onboarded, deps } = await setUp();
    const taken = 'T'.repeat(40);
    await world
      .raw()
      .apigw.send(new CreateApiKeyCommand({ name: 'someone-else', value: taken, enabled: true }));
    const token = await startRotation(world, onboarded.secretArn);
    const d = deps({ generateValue: () => taken });
    await runRotationStep(
      { Step: 'createSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      d,
    );
    const error = await runRotationStep(
      { Step: 'setSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      d,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RotationStepError);
    expect(String(error)).toContain('refused the new value as a duplicate');
    expect(String(error)).not.toContain(taken);
    const described = await world
      .raw()
      .secrets.send(new DescribeSecretCommand({ SecretId: onboarded.secretArn }));
    expect(described.VersionIdsToStages?.[token] ?? []).not.toContain('AWSPENDING');
    // A new rotation is accepted and completes with a fresh value.
    const next = await startRotation(world, onboarded.secretArn);
    for (const step of ROTATION_STEPS) {
      await runRotationStep({ Step: step, SecretId: onboarded.secretArn, ClientRequestToken: next }, deps());
    }
    const state = await readAwsState(world);
    expect(state.keys.find((k) => k.value === state.secrets[0]?.currentValue)?.tags['rotation:version']).toBe(
      next,
    );
  });

  it('testSecret fails and says why: setSecret has not recorded the new key, or the canary refused it', async () => {
    const { world, onboarded, deps } = await setUp();
    const token = await startRotation(world, onboarded.secretArn);
    await runRotationStep(
      { Step: 'createSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      deps(),
    );
    // setSecret skipped: no key at all yet.
    await expect(
      runRotationStep(
        { Step: 'testSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
        deps(),
      ),
    ).rejects.toThrow(
      /setSecret has not recorded the new key keyrot-acme-\S+ on keyrot\/acme; run setSecret first/,
    );
    await runRotationStep(
      { Step: 'setSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      deps(),
    );
    await expect(
      runRotationStep(
        { Step: 'testSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
        deps({
          canary: async () =>
            Promise.reject(new RotationStepError('canary https://api.example.com refused the new key')),
        }),
      ),
    ).rejects.toThrow('canary https://api.example.com refused the new key');
  });

  it.each([
    ['a token the secret does not know', 'no-such-version-000000000000000000', /has no stage for rotation/],
  ])('refuses %s', async (_name, token, message) => {
    const { onboarded, deps } = await setUp();
    await expect(
      runRotationStep(
        { Step: 'createSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
        deps(),
      ),
    ).rejects.toThrow(message);
  });

  it('refuses a version that is neither current nor pending, and a secret without rotation', async () => {
    const { world, onboarded, deps } = await setUp();
    const token = await startRotation(world, onboarded.secretArn);
    for (const step of ROTATION_STEPS) {
      await runRotationStep({ Step: step, SecretId: onboarded.secretArn, ClientRequestToken: token }, deps());
    }
    // The first version is AWSPREVIOUS now.
    await expect(
      runRotationStep(
        { Step: 'setSecret', SecretId: onboarded.secretArn, ClientRequestToken: onboarded.version },
        deps(),
      ),
    ).rejects.toThrow(/is not AWSPENDING/);
    const plain = await world.raw().secrets.send(
      new CreateSecretCommand({
        Name: 'keyrot/unrotated',
        SecretString: '{"credential":"unrotated","apiKey":"xxxxxxxxxxxxxxxxxxxxxxxx"}',
      }),
    );
    await expect(
      runRotationStep(
        { Step: 'createSecret', SecretId: plain.ARN ?? '', ClientRequestToken: plain.VersionId ?? '' },
        deps(),
      ),
    ).rejects.toThrow('secret keyrot/unrotated is not enabled for rotation');
  });

  it('a secret edited by hand into another shape: a clear error naming secret and field, no value', async () => {
    const { world, onboarded, deps } = await setUp();
    await world.raw().secrets.send(
      new PutSecretValueCommand({
        SecretId: onboarded.secretArn,
        SecretString: JSON.stringify({ credential: 'acme', key: 'hand-edited-value-000000000' }),
      }),
    );
    const token = await startRotation(world, onboarded.secretArn);
    const error = await runRotationStep(
      { Step: 'createSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      deps(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(String(error)).toMatch(/secret keyrot\/acme version .* has an unexpected shape \(apiKey: /);
    expect(String(error)).not.toContain('hand-edited-value');
    const keys = await world.raw().apigw.send(new GetApiKeysCommand({ includeValues: false }));
    expect(keys.items).toHaveLength(1);
  });

  it('after a refused value, the next scheduled run rotates with a fresh version instead of the abandoned one', async () => {
    const { world, onboarded, deps } = await setUp();
    const taken = 'Q'.repeat(40);
    await world
      .raw()
      .apigw.send(new CreateApiKeyCommand({ name: 'someone-else', value: taken, enabled: true }));
    // The version a scheduled run would use for this rotation, abandoned by a refused value.
    const token = await startRotation(
      world,
      onboarded.secretArn,
      rotationToken(onboarded.secretArn, onboarded.version),
    );
    await runRotationStep(
      { Step: 'createSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
      deps({ generateValue: () => taken }),
    );
    await expect(
      runRotationStep(
        { Step: 'setSecret', SecretId: onboarded.secretArn, ClientRequestToken: token },
        deps(),
      ),
    ).rejects.toThrow(RotationStepError);
    const result = await world.run(90);
    expect(result.outcomes).toEqual([expect.objectContaining({ status: 'done' })]);
    const state = await readAwsState(world);
    const current = state.keys.find((k) => k.value === state.secrets[0]?.currentValue);
    expect(current?.tags['rotation:generation']).toBe('2');
    expect(current?.tags['rotation:version']).not.toBe(token);
  });
});
