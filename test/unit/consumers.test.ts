import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { consumerPolicy, consumersOfPolicy, mergeConsumerPolicy } from '../../functions/core/consumers.js';
import { activationsTag } from '../../functions/core/rotation-record.js';
import { plan } from '../../functions/core/plan.js';
import { successorOf, indexCredentials } from '../../functions/core/credentials.js';
import { at, config as base, inventory, key, secret } from './fixtures.js';

const READER = 'arn:aws:iam::111122223333:role/partner-reader';
const BATCH = 'arn:aws:iam::111122223333:role/partner-batch';

describe("consumers' grants on their secrets", () => {
  const onboarded = (consumers?: string[]) => {
    const s = secret('c', { v1: ['AWSCURRENT'] });
    if (consumers !== undefined) s.consumers = consumers;
    return inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [s],
    );
  };
  const grants = (inv: ReturnType<typeof onboarded>, consumers: Record<string, string[]>) =>
    plan(inv, parseConfig({ staggerPercent: 0, consumers }), at(1)).actions.filter(
      (a) => a.kind === 'grant-consumers',
    );

  it('configured and not granted yet (a secret onboarded after the deployment): granted', () => {
    expect(grants(onboarded(), { c: [READER] })).toEqual([
      expect.objectContaining({
        principals: [READER],
        reason: expect.stringContaining('should be readable by'),
      }),
    ]);
    expect(grants(onboarded([]), { c: [BATCH, READER, READER] })).toEqual([
      expect.objectContaining({ principals: [BATCH, READER] }),
    ]);
  });

  it('granted as configured: nothing; changed: replaced, saying what it was; no longer configured: removed', () => {
    expect(grants(onboarded([READER]), { c: [READER] })).toEqual([]);
    expect(grants(onboarded([BATCH]), { c: [READER] })[0]?.reason).toContain(`not ${BATCH}`);
    expect(grants(onboarded([READER]), {})).toEqual([
      expect.objectContaining({ principals: [], reason: expect.stringContaining('the grant is removed') }),
    ]);
    // Not read (no consumer, no tag): nothing to keep.
    expect(grants(onboarded(), {})).toEqual([]);
  });

  it("the policy names the roles' accounts, and the roles in a condition; read back to the same roles", () => {
    const policy = consumerPolicy([READER, BATCH, READER]);
    expect(JSON.parse(policy).Statement[0].Principal).toEqual({ AWS: ['arn:aws:iam::111122223333:root'] });
    expect(consumersOfPolicy(policy)).toEqual([BATCH, READER]);
    expect(consumersOfPolicy(undefined)).toEqual([]);
    expect(consumersOfPolicy('not json')).toEqual([]);
    expect(consumersOfPolicy(JSON.stringify({ Statement: [{ Sid: 'Other' }] }))).toEqual([]);
    const single = JSON.stringify({
      Statement: [
        { Sid: 'ConsumerReadsItsOwnKey', Condition: { ArnEquals: { 'aws:PrincipalArn': READER } } },
      ],
    });
    expect(consumersOfPolicy(single)).toEqual([READER]);
  });
});

describe("keyrot's statement merged into a secret's resource policy", () => {
  const deny = {
    Sid: 'DenyOutsideOrg',
    Effect: 'Deny',
    Principal: '*',
    Action: 'secretsmanager:*',
    Resource: '*',
    Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc' } },
  };
  const security = JSON.stringify({ Version: '2012-10-17', Statement: [deny] });

  it("sets its own statement by id and leaves a security team's statements exactly as they were", () => {
    const granted = JSON.parse(mergeConsumerPolicy(security, [READER], 's')!);
    expect(granted.Statement[0]).toEqual(deny);
    expect(consumersOfPolicy(JSON.stringify(granted))).toEqual([READER]);
    // Changed consumers replace keyrot's statement, once.
    const changed = mergeConsumerPolicy(JSON.stringify(granted), [BATCH, READER], 's')!;
    expect(JSON.parse(changed).Statement).toHaveLength(2);
    expect(consumersOfPolicy(changed)).toEqual([BATCH, READER]);
    // No consumer left: keyrot's statement goes, the deny stays.
    expect(JSON.parse(mergeConsumerPolicy(changed, [], 's')!)).toEqual(JSON.parse(security));
    // A single statement (not a list) is a policy too.
    const single = JSON.stringify({ Version: '2012-10-17', Statement: deny });
    expect(JSON.parse(mergeConsumerPolicy(single, [READER], 's')!).Statement[0]).toEqual(deny);
  });

  it("with nothing else in the policy: keyrot's own policy, or none at all", () => {
    expect(mergeConsumerPolicy(undefined, [READER], 's')).toBe(consumerPolicy([READER]));
    expect(mergeConsumerPolicy('', [READER], 's')).toBe(consumerPolicy([READER]));
    expect(mergeConsumerPolicy(consumerPolicy([READER]), [], 's')).toBeUndefined();
    expect(mergeConsumerPolicy(undefined, [], 's')).toBeUndefined();
  });

  it('refuses to replace what is not a policy document, naming the secret', () => {
    expect(() => mergeConsumerPolicy('not json', [READER], 'keyrot/c')).toThrow(
      /secret keyrot\/c: its resource policy is not JSON/,
    );
    for (const odd of ['null', '[]', '"text"', JSON.stringify({ Statement: [1] })])
      expect(() => mergeConsumerPolicy(odd, [], 'keyrot/c')).toThrow(/not a policy document/);
  });
});

describe('keys without generations or activations', () => {
  it('a key with no activation is succeeded by the next generation that has one; one with no generation never', () => {
    const c = indexCredentials(
      inventory(
        [
          key({ id: 'k1', credential: 'c', generation: 1, version: 'v1' }),
          key({ id: 'kx', credential: 'c', version: 'vx', activatedDay: 5 }),
          key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', activatedDay: 30 }),
        ],
        [secret('c', { v2: ['AWSCURRENT'] })],
      ),
      base,
    ).credentials[0]!;
    const [k1] = c.keys;
    expect(successorOf(k1!, c.keys)?.key.id).toBe('k2');
  });

  it('activations recorded on the secret skip a key without a generation tag', () => {
    const inv = inventory(
      [key({ id: 'kx', credential: 'c', version: 'v1', createdDay: 0 })],
      [
        secret(
          'c',
          { v1: ['AWSCURRENT'] },
          { tags: { 'rotation:credential': 'c', ...activationsTag('rotation:', {}, 1, at(10)) } },
        ),
      ],
    );
    expect(indexCredentials(inv, base).credentials[0]?.keys[0]?.activatedAt).toBeUndefined();
  });

  it('a key tag later than the recorded activation wins (a rollback before restored-at tagged the key)', () => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 40 })],
      [
        secret(
          'c',
          { v1: ['AWSCURRENT'] },
          {
            tags: { 'rotation:credential': 'c', ...activationsTag('rotation:', {}, 1, at(10)) },
          },
        ),
      ],
    );
    expect(indexCredentials(inv, base).credentials[0]?.keys[0]?.activatedAt).toEqual(at(40));
  });

  it("a rotation carries the current key's customer in its facts", () => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [secret('c', { v1: ['AWSCURRENT'] })],
    );
    inv.keys[0]!.customerId = 'cust-1';
    const [rotate] = plan(inv, base, at(200)).actions.filter((a) => a.kind === 'rotate');
    expect(rotate).toMatchObject({ facts: { identity: { customerId: 'cust-1' } } });
  });
});
