import { CreateApiKeyCommand, CreateUsagePlanKeyCommand } from '@aws-sdk/client-api-gateway';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { crashAfter, SimulatedCrash } from '../../support/faults.js';
import { createPlans, readAwsState, World } from '../../support/world.js';

const config = parseConfig({ hygiene: { unmanaged: { action: 'adopt' }, unused: { action: 'report' } } });

describe('adoption survives a crash between the secret and the key tags, without reading a secret value', () => {
  it('the next run finishes it from the tag on the secret', async () => {
    const world = new World(config);
    const { apigw, secrets } = world.raw();
    const [gold] = await createPlans(apigw, ['gold']);
    const key = await apigw.send(new CreateApiKeyCommand({ name: 'partner-app', enabled: true }));
    await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: gold, keyId: key.id, keyType: 'API_KEY' }));
    world.recorder.reset();
    // The process dies: the run ends there (no metrics, no report), the secret exists, the key is untagged.
    await expect(world.run(1, [crashAfter('CreateSecretCommand')])).rejects.toThrow(SimulatedCrash);
    expect(
      (await readAwsState(world)).keys.find((k) => k.id === key.id)?.tags['rotation:credential'],
    ).toBeUndefined();
    const finished = await world.run(1);
    expect(finished.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toContain('adopt-key:done');
    // The reconciler's role has no GetSecretValue: the finishing run did not need it.
    expect(world.recorder.count('GetSecretValueCommand')).toBe(0);
    const state = await readAwsState(world);
    // Finished on the secret the crashed run made, not on a second one under another name.
    expect(state.secrets.map((s) => s.name)).toEqual(['keyrot/partner-app']);
    const adopted = state.keys.find((k) => k.id === key.id)!;
    expect(adopted.tags['rotation:credential']).toBeDefined();
    const secret = state.secrets.find((s) => s.credential === adopted.tags['rotation:credential']);
    expect(secret?.currentValue).toBe(adopted.value);
    const described = await secrets.send(
      new DescribeSecretCommand({ SecretId: `keyrot/${adopted.tags['rotation:credential']}` }),
    );
    expect(described.Tags).toContainEqual({ Key: 'rotation:adopted-key', Value: key.id });
  });
});
