import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { plan } from '../../functions/core/plan.js';
import type { Action, Inventory } from '../../functions/core/types.js';
import { rotationToken } from '../../functions/rotation/secret-value.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const CUR = ['AWSCURRENT'];
const PREV = ['AWSPREVIOUS'];

/** One credential "c": generation 1 (v1) superseded by generation 2 (v2) on `rotatedDay`. */
function rotatedOnce(rotatedDay: number, old: Partial<Parameters<typeof key>[0]> = {}): Inventory {
  return inventory(
    [
      key({
        id: 'k1',
        credential: 'c',
        generation: 1,
        version: 'v1',
        createdDay: 0,
        activatedDay: 0,
        ...old,
      }),
      key({
        id: 'k2',
        credential: 'c',
        generation: 2,
        version: 'v2',
        createdDay: rotatedDay,
        activatedDay: rotatedDay,
      }),
    ],
    [secret('c', { v1: PREV, v2: CUR })],
  );
}

const fresh = (extra: Partial<Parameters<typeof key>[0]> = {}) =>
  inventory(
    [
      key({
        id: 'k1',
        credential: 'c',
        generation: 1,
        version: 'v1',
        createdDay: 0,
        activatedDay: 0,
        ...extra,
      }),
    ],
    [secret('c', { v1: CUR })],
  );

/** Credential "c" whose only key carries no time tag at all: created (by API Gateway's date) on `day`. */
function untimed(day: number): Inventory {
  const only = key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', createdDay: day });
  delete only.tags['rotation:created-at'];
  return inventory([only], [secret('c', { v1: CUR })]);
}

/** Credential "c" whose key carries an empty created-at tag (malformed). */
const emptyCreatedAt = () =>
  inventory(
    [
      key({
        id: 'k1',
        credential: 'c',
        generation: 1,
        version: 'v1',
        createdDay: 5,
        tags: { 'rotation:created-at': '' },
      }),
    ],
    [secret('c', { v1: CUR })],
  );

const kinds = (actions: Action[]) => actions.map((a) => `${a.kind}:${'keyId' in a ? a.keyId : a.credential}`);

describe('plan: rotation is due after the policy period', () => {
  it.each([
    { name: '90d default, day 89: nothing', inv: fresh(), day: 89, want: [] },
    { name: '90d default, day 90: rotate', inv: fresh(), day: 90, want: ['rotate:c'] },
    {
      name: '30d by tag, day 29: only the secret schedule is set',
      inv: fresh({ policy: '30d' }),
      day: 29,
      want: ['configure-rotation:c'],
    },
    { name: '30d by tag, day 30: rotate', inv: fresh({ policy: '30d' }), day: 30, want: ['rotate:c'] },
    { name: '60d by tag, day 60: rotate', inv: fresh({ policy: '60d' }), day: 60, want: ['rotate:c'] },
    {
      name: 'no activation tag: created-at counts',
      inv: fresh({ activatedDay: undefined, createdDay: 10 }),
      day: 100,
      want: ['rotate:c'],
    },
    {
      name: 'no time tags, created on day 5: API Gateway createdDate counts, day 94: nothing',
      inv: untimed(5),
      day: 94,
      want: [],
    },
    {
      name: 'no time tags, created on day 5: API Gateway createdDate counts, day 95: rotate',
      inv: untimed(5),
      day: 95,
      want: ['rotate:c'],
    },
    {
      name: 'an empty created-at tag is malformed: the key is left alone (a finding says why)',
      inv: emptyCreatedAt(),
      day: 95,
      want: [],
    },
  ])('$name', ({ inv, day, want }) => {
    expect(kinds(plan(inv, config, at(day)).actions)).toEqual(want);
  });

  it('an empty created-at tag: a malformed-tag finding names the key and the tag', () => {
    expect(plan(emptyCreatedAt(), config, at(95)).findings).toContainEqual(
      expect.objectContaining({ kind: 'malformed-tag', keyId: 'k1', tag: 'rotation:created-at' }),
    );
  });

  it('says why, and carries the policy period for the secret rotation rules', () => {
    const [action] = plan(fresh({ policy: '30d' }), config, at(31)).actions;
    expect(action).toMatchObject({ kind: 'rotate', credential: 'c', currentKeyId: 'k1', scheduleDays: 37 });
    expect(action?.reason).toContain('policy 30d rotates every 30 days (due 2026-01-31)');
  });

  it('a key with no known time at all is due now', () => {
    const inv = fresh({ activatedDay: undefined, createdDay: undefined });
    const k = inv.keys[0]!;
    k.createdDate = undefined;
    delete k.tags['rotation:created-at'];
    const [action] = plan(inv, config, at(1)).actions;
    expect(action?.kind).toBe('rotate');
    expect(action?.reason).toContain('an unknown date');
  });
});

describe('plan: the rotation token names a version the secret does not have', () => {
  const arn = secret('c', {}).arn;
  // rotationToken(arn, 'v1') as every release so far derived it: existing secrets keep their names.
  const first = 'f97c3ffe-7d6c-52d6-a5ef-4d693173eec7';
  const rotateOf = (inv: Inventory, day: number) => {
    const action = plan(inv, config, at(day)).actions.find((a) => a.kind === 'rotate');
    return action?.kind === 'rotate' ? action : undefined;
  };
  /** c rolled back on day 100 from generation 2 (version `first`) to generation 1 (v1). */
  const rolledBack = (versions: Record<string, string[]>, k2Version = first) =>
    inventory(
      [
        key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', createdDay: 0, activatedDay: 100 }),
        key({ id: 'k2', credential: 'c', generation: 2, version: k2Version, activatedDay: 90 }),
      ],
      [secret('c', versions, { lastRotatedDate: at(90) })],
    );

  it('a first rotation is named by the secret and the version it replaces, as before', () => {
    expect(rotationToken(arn, 'v1')).toBe(first);
    expect(rotationToken(arn, 'v1', 0)).toBe(first);
    expect(rotateOf(fresh(), 90)).toMatchObject({ fromVersion: 'v1', token: first });
  });

  it('after a rollback the version it first rotated to is still there (AWSPREVIOUS): another token', () => {
    const action = rotateOf(rolledBack({ v1: CUR, [first]: PREV }), 190);
    expect(action).toMatchObject({ fromVersion: 'v1', token: rotationToken(arn, 'v1', 1) });
    expect(action?.token).not.toBe(first);
    expect([first, 'v1']).not.toContain(action?.token);
  });

  it('rolled back twice: the next token free of every observed version', () => {
    const second = rotationToken(arn, 'v1', 1);
    const inv = rolledBack({ v1: CUR, [first]: [], [second]: PREV }, second);
    expect(rotateOf(inv, 190)?.token).toBe(rotationToken(arn, 'v1', 2));
  });

  it('a version the secret no longer lists but a key still carries is not reused either', () => {
    expect(rotateOf(rolledBack({ v1: CUR }), 190)?.token).toBe(rotationToken(arn, 'v1', 1));
  });

  it('every run plans the same token from the same observation', () => {
    const inv = rolledBack({ v1: CUR, [first]: PREV });
    expect(rotateOf(inv, 190)?.token).toBe(rotateOf(inv, 250)?.token);
  });
});

describe('plan: an unfinished rotation is resumed with its token, never started twice', () => {
  it('AWSPENDING on another version than AWSCURRENT: resume', () => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [secret('c', { v1: CUR, v2: ['AWSPENDING'] })],
    );
    expect(plan(inv, config, at(200)).actions).toEqual([
      expect.objectContaining({ kind: 'resume-rotation', token: 'v2', scheduleDays: 104 }),
    ]);
  });

  it('the pending key of that rotation is neither retired nor counted as an old key', () => {
    const inv = inventory(
      [
        key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 }),
        key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', createdDay: 90, plans: ['plan-b'] }),
      ],
      [secret('c', { v1: CUR, v2: ['AWSPENDING'] })],
    );
    expect(kinds(plan(inv, config, at(200)).actions)).toEqual(['resume-rotation:c']);
  });

  it('AWSPENDING left on the current version: finished, not in progress', () => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [secret('c', { v1: ['AWSCURRENT', 'AWSPENDING'] })],
    );
    expect(kinds(plan(inv, config, at(10)).actions)).toEqual([]);
  });
});

describe('plan: retirement in two phases', () => {
  it.each([
    { name: 'grace (14 days) not over', day: 103, want: [] },
    { name: 'grace over: disable', day: 104, want: ['disable-key:k1'] },
  ])('superseded key, $name', ({ day, want }) => {
    expect(kinds(plan(rotatedOnce(90), config, at(day)).actions)).toEqual(want);
  });

  it.each([
    { name: 'inside the disable window', day: 133, want: [] },
    { name: 'window (30 days) over: delete', day: 134, want: ['delete-key:k1'] },
  ])('disabled key, $name', ({ day, want }) => {
    const inv = rotatedOnce(90, { enabled: false, disabledDay: 104 });
    expect(kinds(plan(inv, config, at(day)).actions)).toEqual(want);
  });

  it('a disabled key with no record of when gets one (its window starts now)', () => {
    const inv = rotatedOnce(90, { enabled: false });
    expect(kinds(plan(inv, config, at(120)).actions)).toEqual(['record-disabled:k1']);
  });

  it('a key re-enabled by hand after its disable is reported, and its disable record is forgotten', () => {
    const inv = rotatedOnce(90, { enabled: true, disabledDay: 104 });
    const result = plan(inv, config, at(110));
    expect(result.actions).toEqual([
      {
        kind: 'forget-disabled',
        credential: 'c',
        keyId: 'k1',
        reason:
          'key k1 was disabled on 2026-04-15 and re-enabled by hand; its disable record is removed, so a later disable starts a fresh 30-day window',
      },
    ]);
    expect(result.findings).toEqual([expect.objectContaining({ kind: 'key-reenabled', keyId: 'k1' })]);
    expect(result.findings[0]?.message).toContain('was disabled on 2026-04-15 and re-enabled by hand');
  });

  it('re-enabled, then disabled again: a fresh disable window, not deleted at once', () => {
    const ofK1 = (inv: Inventory, day: number) =>
      kinds(plan(inv, config, at(day)).actions).filter((k) => k.endsWith(':k1'));
    // k1 was disabled on day 104 (its window ended on day 134), re-enabled by hand, then disabled
    // again on day 150: with the old record it would be deleted at once.
    const stale = rotatedOnce(90, { enabled: false, disabledDay: 104 });
    expect(ofK1(stale, 150)).toEqual(['delete-key:k1']);
    // While it was enabled the run forgot its disable record (an emergency grace-until with it) ...
    const reenabled = rotatedOnce(90, {
      enabled: true,
      disabledDay: 104,
      tags: { 'rotation:grace-until': at(95).toISOString() },
    });
    expect(ofK1(reenabled, 140)).toEqual(['forget-disabled:k1']);
    // ... so disabled again it gets a window of its own before it is deleted.
    const disabledAgain = rotatedOnce(90, { enabled: false });
    expect(ofK1(disabledAgain, 150)).toEqual(['record-disabled:k1']);
    const recorded = rotatedOnce(90, { enabled: false, disabledDay: 150 });
    expect(ofK1(recorded, 179)).toEqual([]);
    expect(ofK1(recorded, 180)).toEqual(['delete-key:k1']);
  });

  it('once its record is forgotten, a re-enabled key retires like any superseded key', () => {
    // The run after forget-disabled: k1 enabled, superseded on day 90, no disabled-at any more.
    const forgotten = rotatedOnce(90);
    const inUse: Inventory = {
      ...forgotten,
      usage: { from: '2026-03-02', to: '2026-05-30', requests: { k1: 3 }, lastUsed: { k1: '2026-05-29' } },
    };
    const early = { ...inUse, usage: { ...inUse.usage!, lastUsed: { k1: '2026-04-20' } } };
    const waiting = plan(early, config, at(110));
    expect(waiting.actions).toEqual([]);
    expect(waiting.findings).toEqual([
      expect.objectContaining({ kind: 'retiring-key-in-use', keyId: 'k1', action: 'wait' }),
    ]);
    expect(kinds(plan(forgotten, config, at(150)).actions)).toEqual(['disable-key:k1']);
    // In use, but the policy's limit past its grace (day 111) is long gone: disabled anyway.
    expect(kinds(plan(inUse, config, at(150)).actions)).toEqual(['disable-key:k1']);
  });

  it('grace runs from the activation of the next generation, not the current one', () => {
    const inv = inventory(
      [
        key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 }),
        key({
          id: 'k2',
          credential: 'c',
          generation: 2,
          version: 'v2',
          activatedDay: 90,
          enabled: false,
          disabledDay: 104,
        }),
        key({ id: 'k3', credential: 'c', generation: 3, version: 'v3', activatedDay: 100 }),
      ],
      [secret('c', { v1: [], v2: PREV, v3: CUR })],
    );
    expect(kinds(plan(inv, config, at(104)).actions)).toEqual(['disable-key:k1']);
  });

  it('without generations the grace runs from the current activation', () => {
    const inv = rotatedOnce(90);
    delete inv.keys[0]!.tags['rotation:generation'];
    expect(kinds(plan(inv, config, at(103)).actions)).toEqual([]);
    expect(kinds(plan(inv, config, at(104)).actions)).toEqual(['disable-key:k1']);
  });

  it('a key of an abandoned rotation (newer, never current, not pending) is disabled at once', () => {
    const inv = inventory(
      [
        key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 }),
        key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', createdDay: 5 }),
      ],
      [secret('c', { v1: CUR })],
    );
    const [action] = plan(inv, config, at(6)).actions;
    expect(action).toMatchObject({ kind: 'disable-key', keyId: 'k2' });
    expect(action?.reason).toContain('abandoned');
  });

  it('counts keys in grace and overdue current keys', () => {
    expect(plan(rotatedOnce(90), config, at(95)).stats).toMatchObject({ keysInGrace: 1, overdueKeys: 0 });
    expect(plan(fresh(), config, at(104)).stats).toMatchObject({ overdueKeys: 1 });
    expect(plan(fresh(), config, at(103)).stats).toMatchObject({ overdueKeys: 0 });
  });
});

describe('plan: the current key follows the credential into every plan (I1)', () => {
  it('an older enabled key in a plan the current key is not in: attach', () => {
    const inv = inventory(
      [
        key({
          id: 'k1',
          credential: 'c',
          generation: 1,
          version: 'v1',
          activatedDay: 0,
          plans: ['plan-a', 'plan-b'],
        }),
        key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', activatedDay: 90, plans: ['plan-a'] }),
      ],
      [secret('c', { v1: PREV, v2: CUR })],
    );
    expect(plan(inv, config, at(95)).actions).toEqual([
      expect.objectContaining({ kind: 'attach-key', keyId: 'k2', usagePlanId: 'plan-b' }),
    ]);
  });

  it('a disabled older key does not pull the current key into its plans', () => {
    const inv = rotatedOnce(90, { enabled: false, disabledDay: 104, plans: ['plan-z'] });
    expect(kinds(plan(inv, config, at(110)).actions)).toEqual([]);
  });
});

describe('plan: the secret carries the rotation schedule', () => {
  it.each([
    { name: 'rotation off', extra: { rotationEnabled: false }, cfg: config },
    { name: 'another period', extra: { rotationPeriodDays: 30 }, cfg: config },
    {
      name: 'another rotation function',
      extra: { rotationLambdaArn: 'arn:aws:lambda:us-east-1:1:function:old' },
      cfg: parseConfig({ rotationLambdaArn: 'arn:aws:lambda:us-east-1:1:function:new' }),
    },
  ])('$name: configure-rotation', ({ extra, cfg }) => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [secret('c', { v1: CUR }, extra)],
    );
    const [action] = plan(inv, cfg, at(1)).actions;
    expect(action).toMatchObject({ kind: 'configure-rotation', scheduleDays: 104 });
  });

  it('the reason names an unknown current period', () => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [secret('c', { v1: CUR }, { rotationPeriodDays: undefined })],
    );
    expect(plan(inv, config, at(1)).actions[0]?.reason).toContain('every ? days');
  });
});

describe('plan: what it cannot fix it reports, naming the key, tag or secret', () => {
  it.each([
    {
      name: 'secret missing',
      inv: inventory([key({ id: 'k1', credential: 'c', version: 'v1' })], []),
      finding: { kind: 'secret-missing', credential: 'c' },
      text: 'no secret keyrot/c',
    },
    {
      name: 'secret scheduled for deletion',
      inv: inventory(
        [key({ id: 'k1', credential: 'c', version: 'v1' })],
        [secret('c', { v1: CUR }, { deletedDate: at(7) })],
      ),
      finding: { kind: 'secret-deleted', credential: 'c' },
      text: 'scheduled for deletion on 2026-01-08',
    },
    {
      name: 'secret without keys',
      inv: inventory([], [secret('c', { v1: CUR })]),
      finding: { kind: 'credential-without-keys', credential: 'c' },
      text: 'no API key is tagged',
    },
    {
      name: 'current key deleted by hand',
      inv: inventory([key({ id: 'k1', credential: 'c', version: 'v1' })], [secret('c', { v2: CUR })]),
      finding: { kind: 'current-key-missing', credential: 'c' },
      text: 'AWSCURRENT version v2',
    },
    {
      name: 'two keys carry the current version (a copy made by hand)',
      inv: inventory(
        [
          key({ id: 'k1', credential: 'c', version: 'v1' }),
          key({ id: 'k2', credential: 'c', version: 'v1' }),
        ],
        [secret('c', { v1: CUR })],
      ),
      finding: { kind: 'current-key-ambiguous', credential: 'c' },
      text: 'keys k1, k2 all carry the AWSCURRENT version v1',
    },
    {
      name: 'no AWSCURRENT at all',
      inv: inventory([key({ id: 'k1', credential: 'c', version: 'v1' })], [secret('c', { v1: [] })]),
      finding: { kind: 'current-key-missing', credential: 'c' },
      text: 'AWSCURRENT version (none)',
    },
    {
      name: 'current key has a malformed tag',
      inv: inventory(
        [key({ id: 'k1', credential: 'c', version: 'v1', tags: { 'rotation:generation': 'two' } })],
        [secret('c', { v1: CUR })],
      ),
      finding: { kind: 'current-key-missing', credential: 'c' },
      text: '1 key(s) have malformed tags',
    },
    {
      name: 'unknown policy',
      inv: inventory(
        [key({ id: 'k1', credential: 'c', version: 'v1', policy: 'weekly' })],
        [secret('c', { v1: CUR })],
      ),
      finding: { kind: 'unknown-policy', keyId: 'k1', tag: 'rotation:policy' },
      text: 'expected one of 30d, 60d, 90d',
    },
  ])('$name', ({ inv, finding, text }) => {
    const result = plan(inv, config, at(400));
    expect(result.actions).toEqual([]);
    expect(result.findings).toContainEqual(expect.objectContaining(finding));
    expect(result.findings.map((f) => f.message).join('\n')).toContain(text);
  });

  it.each([
    { tag: 'rotation:generation', value: '0', expected: 'a whole number from 1' },
    { tag: 'rotation:created-at', value: 'yesterday', expected: 'an ISO-8601 UTC time' },
    { tag: 'rotation:activated-at', value: '2026-13-45T00:00:00Z', expected: 'an ISO-8601 UTC time' },
    { tag: 'rotation:disabled-at', value: '2026-01-01', expected: 'an ISO-8601 UTC time' },
    { tag: 'rotation:credential', value: 'bad name!', expected: '1-64 of A-Z' },
  ])(
    'malformed $tag=$value names key, tag and form, and other credentials go on',
    ({ tag, value, expected }) => {
      const inv = inventory(
        [
          key({ id: 'bad', credential: 'c', version: 'v9', tags: { [tag]: value } }),
          key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 }),
          key({ id: 'o1', credential: 'other', generation: 1, version: 'o1', activatedDay: 0 }),
        ],
        [secret('c', { v1: CUR }), secret('other', { o1: CUR })],
      );
      const result = plan(inv, config, at(90));
      const finding = result.findings.find((f) => f.keyId === 'bad');
      expect(finding).toMatchObject({ kind: 'malformed-tag', tag });
      expect(finding?.message).toContain(
        `key bad: tag ${tag}=${JSON.stringify(value)} is malformed; expected ${expected}`,
      );
      expect(kinds(result.actions)).toEqual(['rotate:c', 'rotate:other']);
    },
  );

  it('keys without the credential tag are unmanaged and untouched', () => {
    const inv = inventory([key({ id: 'u1' }), key({ id: 'u2', enabled: false })], []);
    const result = plan(inv, config, at(1000));
    expect(result.actions).toEqual([]);
    expect(result.stats).toMatchObject({ totalKeys: 2, managedKeys: 0, unmanagedKeys: 2, credentials: 0 });
  });

  it('a secret without the credential tag is matched by its name; other secrets are ignored', () => {
    const tagged = secret('c', { v1: CUR }, { tags: {} });
    const foreign = secret('x', { z: CUR }, { name: 'other/x', tags: {} });
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [tagged, foreign],
    );
    expect(kinds(plan(inv, config, at(90)).actions)).toEqual(['rotate:c']);
  });

  it('a secret tagged with another credential than its name: the name wins, and the tag is reported', () => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [secret('c', { v1: CUR }, { tags: { 'rotation:credential': 'other' } })],
    );
    const result = plan(inv, config, at(90));
    expect(kinds(result.actions)).toEqual(['rotate:c']);
    expect(result.findings).toContainEqual(
      expect.objectContaining({ kind: 'malformed-tag', credential: 'c', tag: 'rotation:credential' }),
    );
    expect(result.findings.map((f) => f.message)).toContain(
      'secret keyrot/c: tag rotation:credential="other" disagrees with its name, which makes it credential c; the name is used; correct or remove the tag',
    );
  });
});

describe('plan: keys missing optional tags', () => {
  it('a current key without a generation tag still rotates, and says so', () => {
    const inv = fresh();
    delete inv.keys[0]!.tags['rotation:generation'];
    expect(plan(inv, config, at(90)).actions[0]?.reason).toContain('(generation ?)');
  });

  it('an old key with no successor time at all is past its grace', () => {
    const inv = rotatedOnce(90);
    const current = inv.keys[1]!;
    delete current.tags['rotation:activated-at'];
    delete current.tags['rotation:created-at'];
    current.createdDate = undefined;
    delete inv.keys[0]!.tags['rotation:generation'];
    const result = plan(inv, config, at(95));
    expect(result.actions).toContainEqual(expect.objectContaining({ kind: 'disable-key', keyId: 'k1' }));
    expect(result.actions.find((a) => a.kind === 'disable-key')?.reason).toContain(
      'superseded on an unknown date',
    );
  });
});

describe('plan: reads that failed', () => {
  it('become findings, and the rest of the plan stands', () => {
    const inv = {
      ...fresh(),
      problems: ['usage (GetUsage) could not be read, no unused check this run: AccessDenied'],
    };
    const result = plan(inv, config, at(90));
    expect(kinds(result.actions)).toEqual(['rotate:c']);
    expect(result.findings).toEqual([
      expect.objectContaining({ kind: 'read-failed', message: expect.stringContaining('GetUsage') }),
    ]);
  });
});

describe('plan: emergency grace and paused rotation', () => {
  it('a grace-until tag shortens the grace of the key it is on', () => {
    const inv = rotatedOnce(90, { tags: { 'rotation:grace-until': at(91).toISOString() } });
    expect(kinds(plan(inv, config, at(90.5)).actions)).toEqual([]);
    expect(kinds(plan(inv, config, at(91)).actions)).toEqual(['disable-key:k1']);
  });

  it('a grace-until later than the policy grace does not lengthen it', () => {
    const inv = rotatedOnce(90, { tags: { 'rotation:grace-until': at(200).toISOString() } });
    expect(kinds(plan(inv, config, at(104)).actions)).toEqual(['disable-key:k1']);
  });

  it('a paused credential is not rotated while paused, and says why', () => {
    const tags = {
      'rotation:paused-until': at(120).toISOString(),
      'rotation:pause-reason': 'partner migration',
    };
    const result = plan(fresh({ tags }), config, at(100));
    // Secrets Manager's own schedule (a backstop) is pushed past the pause, so it does not rotate either.
    expect(result.actions).toEqual([
      expect.objectContaining({ kind: 'configure-rotation', credential: 'c', scheduleDays: 120 + 14 }),
    ]);
    expect(result.actions[0]?.reason).toContain('past the pause until 2026-05-01');
    expect(result.findings[0]).toMatchObject({ kind: 'rotation-paused', action: 'wait' });
    expect(result.findings[0]?.message).toContain('paused until 2026-05-01 (partner migration)');
    expect(kinds(plan(fresh({ tags }), config, at(120)).actions)).toEqual(['rotate:c']);
    const noReason = plan(
      fresh({ tags: { 'rotation:paused-until': at(120).toISOString() } }),
      config,
      at(100),
    );
    expect(noReason.findings[0]?.message).toContain('(no reason given)');
  });
});

describe('plan: first rotations are staggered', () => {
  const staggered = parseConfig({ staggerPercent: 20 });
  const onboardedTogether = (n: number) =>
    inventory(
      Array.from({ length: n }, (_, i) =>
        key({ id: `k${i}`, credential: `c${i}`, generation: 1, version: `v${i}`, activatedDay: 0 }),
      ),
      Array.from({ length: n }, (_, i) => secret(`c${i}`, { [`v${i}`]: ['AWSCURRENT'] })),
    );

  it('1,000 credentials onboarded on one day come due over the last 20% of the period, not on one day', () => {
    const inv = onboardedTogether(1000);
    const firstDue = new Map<number, number>();
    for (let day = 60; day <= 90; day++) {
      const due = plan(inv, staggered, at(day)).actions.filter((a) => a.kind === 'rotate').length;
      firstDue.set(day, due - [...firstDue.values()].reduce((a, b) => a + b, 0));
    }
    expect(firstDue.get(71)).toBe(0);
    expect([...firstDue.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    const busiest = Math.max(...firstDue.values());
    expect(busiest).toBeLessThan(100);
    expect([...firstDue.entries()].filter(([, n]) => n > 0).map(([d]) => d)).toEqual(
      Array.from({ length: 19 }, (_, i) => 72 + i),
    );
  }, 60_000); // 31 plans of 1,000 credentials: seconds on a shared machine, not a speed check (see bench)

  it('the spread is the same every run, and never later than the period', () => {
    const a = plan(onboardedTogether(50), staggered, at(80)).actions.map((x) => x.credential);
    const b = plan(onboardedTogether(50), staggered, at(80)).actions.map((x) => x.credential);
    expect(a).toEqual(b);
    expect(
      plan(onboardedTogether(50), staggered, at(90)).actions.filter((x) => x.kind === 'rotate'),
    ).toHaveLength(50);
  });

  it('later generations rotate a full period after the last rotation', () => {
    const inv = rotatedOnce(90);
    expect(kinds(plan(inv, staggered, at(179)).actions)).not.toContain('rotate:c');
    expect(kinds(plan(inv, staggered, at(180)).actions)).toContain('rotate:c');
  });
});

describe('plan: a rotation counts once, when it is seen finished', () => {
  const recordedAt = (version: string | undefined) => {
    const inv = rotatedOnce(90);
    const s = inv.secrets[0]!;
    if (version !== undefined) s.tags['rotation:recorded-version'] = version;
    return inv;
  };

  it('AWSCURRENT moved past the recorded version (finished after its run, or by Secrets Manager): recorded now', () => {
    const actions = plan(recordedAt('v1'), config, at(91)).actions;
    expect(actions).toContainEqual(
      expect.objectContaining({
        kind: 'record-rotation',
        credential: 'c',
        version: 'v2',
        previousVersion: 'v1',
        keyId: 'k2',
      }),
    );
    expect(actions.find((a) => a.kind === 'record-rotation')?.reason).toContain('from version v1 to v2');
  });

  it('already recorded, or a secret from before records were kept: nothing to record', () => {
    expect(kinds(plan(recordedAt('v2'), config, at(91)).actions)).not.toContain('record-rotation:c');
    expect(kinds(plan(recordedAt(undefined), config, at(91)).actions)).not.toContain('record-rotation:c');
  });
});

describe('plan: a daily run at about the same hour does not slip a day', () => {
  it('a rotation due a few seconds (up to an hour) after the run starts is due now; further ahead it is not', () => {
    const inv = fresh();
    const key = inv.keys[0]!;
    // The last rotation finished a few seconds after its run began, on day 0.
    key.tags['rotation:activated-at'] = new Date(at(0).getTime() + 5_000).toISOString();
    expect(kinds(plan(inv, config, at(90)).actions)).toEqual(['rotate:c']);
    expect(kinds(plan(inv, config, new Date(at(90).getTime() - 2 * 60 * 60_000)).actions)).toEqual([]);
  });
});
