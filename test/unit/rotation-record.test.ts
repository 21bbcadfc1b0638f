import { describe, expect, it } from 'vitest';
import { plan } from '../../functions/core/plan.js';
import {
  ACTIVATIONS_KEPT,
  activationsTag,
  factsTags,
  identityOf,
  newKeyTag,
  readActivations,
  readFacts,
  readNewKey,
} from '../../functions/core/rotation-record.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const P = 'rotation:';
const facts = { token: 'tok-1', generation: 3, currentKeyId: 'k2', policy: '30d', planIds: ['p1', 'p2'] };

describe('what a rotation records on its secret', () => {
  it('the reconciler facts read back for their own rotation only', () => {
    const tags = factsTags(P, facts)!;
    expect(readFacts(P, tags, 'tok-1')).toEqual(facts);
    expect(readFacts(P, tags, 'tok-2')).toBeUndefined();
    // A key in no plan, the default policy: still facts (nothing to attach).
    const bare = factsTags(P, { token: 't', generation: 2, currentKeyId: 'k', planIds: [] })!;
    expect(readFacts(P, bare, 't')).toEqual({ token: 't', generation: 2, currentKeyId: 'k', planIds: [] });
  });

  it("an emergency's revoke is recorded with its token: a later rotation's facts are not a revoke", () => {
    const revoking = factsTags(P, { ...facts, revoke: true })!;
    expect(revoking['rotation:rotation-revoke']).toBe('tok-1');
    expect(readFacts(P, revoking, 'tok-1')).toEqual({ ...facts, revoke: true });
    const next = { ...revoking, ...factsTags(P, { ...facts, token: 'tok-2' })! };
    expect(readFacts(P, next, 'tok-2')).toEqual({ ...facts, token: 'tok-2' });
  });

  it('facts that do not fit a Secrets Manager tag are not recorded (the rotation looks them up)', () => {
    expect(
      factsTags(P, { ...facts, planIds: Array.from({ length: 40 }, (_, i) => `plan-${i}`) }),
    ).toBeUndefined();
    expect(factsTags(P, { ...facts, policy: 'a,b' })).toBeUndefined();
  });

  it('a tag edited by hand is no record: it is not read', () => {
    const tags = factsTags(P, facts)!;
    expect(readFacts(P, { ...tags, [`${P}rotation`]: 'tok-1 two k2' }, 'tok-1')).toBeUndefined();
    expect(readFacts(P, { ...tags, [`${P}rotation-plans`]: 'tok-0 p1' }, 'tok-1')).toBeUndefined();
    expect(readNewKey(P, { [`${P}rotation-key`]: 'tok-1 k9' }, 'tok-1')).toBeUndefined();
  });

  it("setSecret's record names its rotation's new key and generation", () => {
    const tags = newKeyTag(P, 'tok-1', 'k9', 3);
    expect(readNewKey(P, tags, 'tok-1')).toEqual({ id: 'k9', generation: 3 });
    expect(readNewKey(P, tags, 'tok-0')).toBeUndefined();
  });

  it('activations: to the second (rounded up), the newest generations kept, a retried finishSecret replaces its own', () => {
    let tags: Record<string, string> = {};
    for (let g = 1; g <= ACTIVATIONS_KEPT + 3; g++) tags = activationsTag(P, tags, g, at(g * 30));
    const kept = readActivations(P, tags);
    expect([...kept.keys()]).toEqual(Array.from({ length: ACTIVATIONS_KEPT }, (_, i) => i + 4));
    expect(kept.get(15)).toEqual(at(450));
    tags = activationsTag(P, tags, 15, at(451));
    expect(readActivations(P, tags).get(15)).toEqual(at(451));
    // A fraction of a second rounds up: never current before it was (no grace ends early).
    tags = activationsTag(P, tags, 15, new Date(at(452).getTime() + 1));
    expect(readActivations(P, tags).get(15)).toEqual(new Date(at(452).getTime() + 1000));
    expect(tags[`${P}activations`]!.length).toBeLessThanOrEqual(256);
  });
});

describe('the planner reads activations from the secret', () => {
  // Generation 2 became current on day 30, recorded on the secret only (no activated-at tag on k2).
  const rotated = (extra: Record<string, string> = {}) =>
    inventory(
      [
        key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', createdDay: 0, activatedDay: 0 }),
        key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', createdDay: 29 }),
      ],
      [
        secret(
          'c',
          { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] },
          { tags: { 'rotation:credential': 'c', ...activationsTag(P, {}, 2, at(30)), ...extra } },
        ),
      ],
    );

  it("the old key's grace counts from the recorded activation, not from the new key's creation", () => {
    // 90d policy: 14 days of grace from day 30 end on day 44; from day 29 they would end on day 43.
    expect(plan(rotated(), config, at(43.5)).actions.filter((a) => a.kind === 'disable-key')).toEqual([]);
    expect(plan(rotated(), config, at(44.5)).actions.map((a) => a.kind)).toContain('disable-key');
  });

  it('the next rotation is due a period after the recorded activation', () => {
    const due = (day: number) => plan(rotated(), config, at(day)).actions.some((a) => a.kind === 'rotate');
    expect(due(118)).toBe(false);
    expect(due(120)).toBe(true);
  });

  it('a rotation planned from it carries the facts the rotation function needs', () => {
    const action = plan(rotated(), config, at(120)).actions.find((a) => a.kind === 'rotate');
    expect(action?.kind === 'rotate' && action.facts).toEqual({
      token: action?.kind === 'rotate' ? action.token : '',
      generation: 3,
      currentKeyId: 'k2',
      policy: undefined,
      planIds: ['plan-a'],
    });
  });
});

describe("the current key's customer, recorded with the facts", () => {
  const facts = { token: 'v2', generation: 2, currentKeyId: 'k1', planIds: ['p1'] };

  it('any text survives the tag alphabet (base64url), and is read back for its own rotation only', () => {
    const identity = { customerId: 'cust/4711 ü', description: 'Acme, Inc. (portal) — 日本' };
    const tags = factsTags('rotation:', { ...facts, identity })!;
    expect(Object.values(tags).every((v) => /^[A-Za-z0-9_.:/@+= -]*$/.test(v) && v.length <= 256)).toBe(true);
    expect(readFacts('rotation:', tags, 'v2')?.identity).toEqual(identity);
    expect(readFacts('rotation:', tags, 'v3')).toBeUndefined();
  });

  it("too long for a tag: 'lookup' (setSecret reads the current key instead)", () => {
    const tags = factsTags('rotation:', { ...facts, identity: { description: 'x'.repeat(300) } })!;
    expect(tags['rotation:rotation-identity']).toBe('v2 lookup');
    expect(readFacts('rotation:', tags, 'v2')?.identity).toBe('lookup');
  });

  it("keyrot's own descriptions are not carried (each generation has its own); a portal's is", () => {
    expect(identityOf({ description: 'keyrot: credential acme, generation 3' })).toBeUndefined();
    expect(identityOf({ customerId: '', description: '' })).toBeUndefined();
    expect(identityOf({ customerId: 'c', description: 'Acme portal key' })).toEqual({
      customerId: 'c',
      description: 'Acme portal key',
    });
  });
});
