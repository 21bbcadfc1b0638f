import { describe, expect, it } from 'vitest';
import { ApiKeyProvider } from '../../consumer/index.js';
import { onboardCredential } from '../../functions/onboarding/onboard.js';
import { createPlans, dayAt, readAwsState, World } from '../support/world.js';

/** The consumer helper reading real secrets through the SDK (the emulator), across a keyrot rotation. */
describe('ApiKeyProvider on Secrets Manager', () => {
  it('reads AWSCURRENT; after a rotation a refresh has the new key and AWSPREVIOUS the old; a missing secret says which', async () => {
    const world = new World();
    const [gold] = await createPlans(world.raw().apigw, ['gold']);
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0) },
      { credential: 'acme', usagePlanIds: [gold!] },
    );
    const provider = new ApiKeyProvider({ secrets: world.raw().secrets });
    const before = await provider.get('acme');
    const keyOf = async () => {
      const state = await readAwsState(world);
      return state.keys.find((k) => k.value === state.secrets[0]?.currentValue)?.value;
    };
    expect(before).toBe(await keyOf());
    await world.run(100);
    expect(await provider.get('acme')).toBe(before);
    const after = await provider.get('acme', { refresh: true });
    expect(after).not.toBe(before);
    expect(after).toBe(await keyOf());
    expect(await provider.get('acme', { stage: 'AWSPREVIOUS' })).toBe(before);
    const missing = (await provider.get('nobody').catch((e: unknown) => e)) as Error;
    expect(missing.message).toBe(
      'secret keyrot/nobody (AWSCURRENT) cannot be read: ResourceNotFoundException',
    );
  });
});
