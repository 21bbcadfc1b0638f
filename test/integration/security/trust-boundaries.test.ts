import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-api-gateway';
import {
  TagResourceCommand as TagSecretCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { requestTag } from '../../../functions/core/emergency.js';
import { describe, expect, it } from 'vitest';
import { deployedWorld, rotationsSettled, DEPLOYED_30D, useTimedEmulator } from '../../support/deployed.js';
import { createPlans, dayAt, readAwsState, type World } from '../../support/world.js';

/**
 * Trust boundaries (issue 28). Item 1: a key belongs to a credential only when the credential's secret
 * records it. Someone who may only tag API keys must not move a credential into another usage plan,
 * nor have keyrot disable or delete a key that is not keyrot's. Checked with the plain SDK.
 */
const emulator = useTimedEmulator();

/** An unrelated key in its own usage plan, then given the tag that claims `credential`. */
async function foreignKeyClaiming(world: World, credential: string) {
  const { apigw } = world.raw();
  const [premium] = await createPlans(apigw, ['premium']);
  const made = await apigw.send(
    new CreateApiKeyCommand({ name: 'partner-integration', enabled: true, value: 'f'.repeat(40) }),
  );
  await apigw.send(
    new CreateUsagePlanKeyCommand({ usagePlanId: premium, keyId: made.id, keyType: 'API_KEY' }),
  );
  await apigw.send(
    new TagResourceCommand({
      resourceArn: `arn:aws:apigateway:${world.region}::/apikeys/${made.id}`,
      tags: { 'rotation:credential': credential },
    }),
  );
  return { id: made.id!, premium: premium! };
}

describe('a key tagged with a credential that does not record it', () => {
  it('is reported, and never attached to, disabled or deleted, through a season of rotations', async () => {
    const { world, plans } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D, ['alice']);
    const foreign = await foreignKeyClaiming(world, 'alice');

    const planned = await world.cli(['plan', '--now', dayAt(1).toISOString(), '--json']);
    expect(planned.code, planned.stderr).toBe(0);
    const dry = JSON.parse(planned.stdout) as {
      actions: { kind: string }[];
      findings: { kind: string; keyId?: string }[];
    };
    expect(dry.actions.map((a) => a.kind)).not.toContain('attach-key');
    expect(dry.findings).toContainEqual(
      expect.objectContaining({ kind: 'ownership-mismatch', keyId: foreign.id }),
    );

    // Four rotations of the 30-day policy, each old key's grace and disable window passing.
    for (let day = 1; day <= 130; day += 7) {
      const run = await world.run(day);
      expect(run.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
      await rotationsSettled(world.endpoint);
      const state = await readAwsState(world);
      expect(
        state.keys.find((k) => k.id === foreign.id),
        `day ${day}`,
      ).toMatchObject({
        enabled: true,
        planIds: [foreign.premium],
      });
      const alices = state.keys.filter(
        (k) => k.id !== foreign.id && k.tags['rotation:credential'] === 'alice',
      );
      for (const key of alices) expect(key.planIds, `day ${day}: ${key.id}`).not.toContain(foreign.premium);
      expect(run.plan.findings.filter((f) => f.kind === 'ownership-mismatch').map((f) => f.keyId)).toEqual([
        foreign.id,
      ]);
    }
    const after = await readAwsState(world);
    const generations = after.keys
      .filter((k) => k.id !== foreign.id && k.tags['rotation:credential'] === 'alice')
      .map((k) => Number(k.tags['rotation:generation']));
    expect(Math.max(...generations)).toBeGreaterThanOrEqual(4);
    expect(
      after.keys.find((k) => k.tags['rotation:generation'] === String(Math.max(...generations))),
    ).toMatchObject({ planIds: [...plans].sort() });
  });

  it('a secret made before ownership records: the first run records the keys it proves, and goes on rotating', async () => {
    const { world, onboarded } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D, ['legacy']);
    const [made] = onboarded;
    // As left by a version of keyrot that kept no record.
    await world
      .raw()
      .secrets.send(new UntagResourceCommand({ SecretId: made!.secretArn, TagKeys: ['rotation:keys'] }));
    const foreign = await foreignKeyClaiming(world, 'legacy');
    const first = await world.run(1);
    expect(first.outcomes.map((o) => [o.action.kind, o.status])).toEqual([['record-ownership', 'done']]);
    const tags = (await readAwsState(world)).secrets.find((s) => s.credential === 'legacy')!.tags;
    expect(tags['rotation:keys']).toBe(made!.keyId);
    for (let day = 8; day <= 64; day += 7) {
      expect((await world.run(day)).outcomes.filter((o) => o.status === 'failed')).toEqual([]);
      await rotationsSettled(world.endpoint);
    }
    const state = await readAwsState(world);
    expect(state.keys.find((k) => k.id === foreign.id)).toMatchObject({
      enabled: true,
      planIds: [foreign.premium],
    });
    const secret = state.secrets.find((s) => s.credential === 'legacy')!;
    const current = state.keys.find((k) => k.value === secret.currentValue)!;
    expect(Number(current.tags['rotation:generation'])).toBeGreaterThanOrEqual(2);
    // Each rotation's new key joined the record.
    expect(secret.tags['rotation:keys']!.split(' ')).toContain(current.id);
  });
});

describe('an emergency with zero grace (issue 28, item 4)', () => {
  it('revokes the leaked key as soon as AWSCURRENT moves, even when the run stopped watching the rotation', async () => {
    const { world, plans } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D, ['leaky']);
    const before = await readAwsState(world);
    const leaked = before.keys.find((k) => k.tags['rotation:credential'] === 'leaky')!;
    // What keyrot rotate --all --grace 0 leaves on the secret: a request, then a run.
    await world.raw().secrets.send(
      new TagSecretCommand({
        SecretId: 'keyrot/leaky',
        Tags: Object.entries(requestTag('rotation:', { requestedAt: dayAt(3), graceMs: 0 })).map(
          ([Key, Value]) => ({ Key, Value }),
        ),
      }),
    );
    // The run does not wait at all: the rotation is slower than its watch.
    const run = await world.run(3, [], { rotationWaitMs: 0 });
    expect(run.outcomes.map((o) => [o.action.kind, o.status])).toEqual([['rotate', 'started']]);
    await rotationsSettled(world.endpoint);
    const after = await readAwsState(world);
    const secret = after.secrets.find((s) => s.credential === 'leaky')!;
    const fresh = after.keys.find((k) => k.value === secret.currentValue)!;
    expect(fresh.id).not.toBe(leaked.id);
    expect(fresh).toMatchObject({ enabled: true, planIds: [...plans].sort() });
    const old = after.keys.find((k) => k.id === leaked.id)!;
    expect(old.enabled).toBe(false);
    expect(old.tags['rotation:revoked-at']).toBeDefined();
    expect(old.tags['rotation:disabled-at']).toBeDefined();
  });
});
