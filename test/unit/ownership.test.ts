import { describe, expect, it } from 'vitest';
import {
  OWNED_KEYS_KEPT,
  ownedKeysTag,
  provableKeys,
  readOwnedKeys,
} from '../../functions/core/ownership.js';
import { plan } from '../../functions/core/plan.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const P = 'rotation:';
const CUR = ['AWSCURRENT'];
const PREV = ['AWSPREVIOUS'];

describe('the ownership record on a secret', () => {
  it('reads the recorded ids, and says when there is no record at all', () => {
    expect(readOwnedKeys(P, { 'rotation:keys': 'k1  k2 bad! k3' })).toEqual(['k1', 'k2', 'k3']);
    expect(readOwnedKeys(P, { 'rotation:keys': '' })).toEqual([]);
    expect(readOwnedKeys(P, {})).toBeUndefined();
  });

  it('appends newest last, once, and keeps the newest within the count and the tag size', () => {
    expect(ownedKeysTag(P, ['k1', 'k2'], ['k1'])).toEqual({ 'rotation:keys': 'k2 k1' });
    const many = Array.from({ length: 20 }, (_, i) => `key${i}`);
    const kept = ownedKeysTag(P, many, ['new'])['rotation:keys']!.split(' ');
    expect(kept).toHaveLength(OWNED_KEYS_KEPT);
    expect(kept.at(-1)).toBe('new');
    const long = Array.from({ length: 12 }, (_, i) => `${'x'.repeat(40)}${i}`);
    const value = ownedKeysTag(P, long, [])['rotation:keys']!;
    expect(value.length).toBeLessThanOrEqual(256);
    expect(value.endsWith(`${'x'.repeat(40)}11`)).toBe(true);
  });

  it('without a record, proves the keys keyrot named on the secret and the only key of each version', () => {
    const s = {
      tags: {
        'rotation:rotation': 'v2 2 k1 90d',
        'rotation:rotation-key': 'v2 k2 2',
        'rotation:adopted-key': 'k0',
      },
      versions: { v1: PREV, v2: CUR, v3: ['AWSPENDING'] },
    };
    const claimants = [
      { id: 'k0', version: 'v0' },
      { id: 'k1', version: 'v1' },
      { id: 'k2', version: 'v2' },
      // A copy of the pending version's tags: that version proves neither key.
      { id: 'k3', version: 'v3' },
      { id: 'copy', version: 'v3' },
      // A version the secret does not have, and none at all.
      { id: 'k4', version: 'v9' },
      { id: 'k5', version: undefined },
    ];
    expect(provableKeys(P, s, claimants)).toEqual(['k0', 'k1', 'k2']);
    expect(provableKeys(P, { tags: {}, versions: { v1: CUR } }, [{ id: 'k1', version: 'v1' }])).toEqual([
      'k1',
    ]);
  });
});

/** alice: her current key k1 in plan basic since day 0 (90d policy). */
const alice = key({
  id: 'k1',
  credential: 'alice',
  generation: 1,
  version: 'v1',
  createdDay: 0,
  activatedDay: 0,
  plans: ['basic'],
});
const aliceSecret = secret(
  'alice',
  { v1: CUR },
  { tags: { 'rotation:credential': 'alice', 'rotation:keys': 'k1' } },
);

describe('plan: keyrot acts only on keys the credential records', () => {
  it('a foreign key tagged with a credential is reported, never attached to, disabled or deleted', () => {
    // The reproduction of issue 28: an unrelated key in plan premium given the tag rotation:credential=alice.
    const foreign = key({ id: 'other', credential: 'alice', plans: ['premium'], createdDay: 1 });
    const copy = key({ id: 'copy', credential: 'alice', version: 'v1', plans: ['premium'], createdDay: 1 });
    for (const intruder of [foreign, copy]) {
      for (const day of [1, 30, 200]) {
        const disabled = { ...intruder, enabled: day !== 1 ? false : true };
        const result = plan(inventory([alice, disabled], [aliceSecret]), config, at(day));
        expect(result.actions.filter((a) => 'keyId' in a && a.keyId === intruder.id)).toEqual([]);
        expect(result.actions.filter((a) => a.kind === 'attach-key')).toEqual([]);
        expect(result.findings).toContainEqual(
          expect.objectContaining({ kind: 'ownership-mismatch', credential: 'alice', keyId: intruder.id }),
        );
        expect(result.stats.keysInGrace).toBe(0);
      }
    }
    // Its copy of the current version makes nothing ambiguous: alice still rotates when due.
    const due = plan(inventory([alice, copy], [aliceSecret]), config, at(91));
    expect(due.actions.map((a) => a.kind)).toEqual(['rotate']);
    expect(due.findings.map((f) => f.kind)).not.toContain('current-key-ambiguous');
  });

  it('a secret whose record holds none of the tagged keys says so, and nothing is acted on', () => {
    const result = plan(
      inventory([alice], [{ ...aliceSecret, tags: { ...aliceSecret.tags, 'rotation:keys': 'gone' } }]),
      config,
      at(200),
    );
    expect(result.actions).toEqual([]);
    expect(result.findings.find((f) => f.kind === 'credential-without-keys')?.message).toMatch(
      /records none of the API keys tagged with this credential \(k1\)/,
    );
  });

  it('a secret made before records: the run records the keys it proves, plans on them, and reports the rest', () => {
    const old = key({
      id: 'k0',
      credential: 'alice',
      version: 'v0',
      createdDay: 0,
      activatedDay: 0,
      enabled: false,
      disabledDay: 5,
    });
    const legacy = secret('alice', { v1: CUR });
    const result = plan(inventory([old, alice], [legacy], { ownership: 'none' }), config, at(91));
    expect(result.actions.map((a) => a.kind)).toEqual(['record-ownership', 'rotate']);
    expect(result.actions[0]).toMatchObject({ keyIds: ['k1'], secretId: legacy.arn });
    expect(result.findings).toContainEqual(
      expect.objectContaining({ kind: 'ownership-mismatch', keyId: 'k0' }),
    );
    // Nothing proved: nothing recorded, and nothing acted on.
    const none = plan(
      inventory([{ ...alice, tags: { ...alice.tags, 'rotation:version': 'v9' } }], [legacy], {
        ownership: 'none',
      }),
      config,
      at(91),
    );
    expect(none.actions).toEqual([]);
  });
});
