import { describe, expect, it } from 'vitest';
import { requestTag } from '../../functions/core/emergency.js';
import { selectCredentials } from '../../functions/core/mass-rotation.js';
import { plan } from '../../functions/core/plan.js';
import { reasonProblem, readSuspension, suspensionTags } from '../../functions/core/suspension.js';
import type { Inventory } from '../../functions/core/types.js';
import { planResume, planSuspend } from '../../functions/oncall/suspension.js';
import { planRollback } from '../../functions/oncall/rollback.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const CUR = ['AWSCURRENT'];
const PREV = ['AWSPREVIOUS'];

/**
 * Credential "c" under 90d: k1 (v1) superseded by k2 (v2) on day 100. With the current key disabled
 * (cut off), k1 is disabled too (on day 101, as keyrot suspend does), unless `oldEnabled`.
 */
function credential(
  current: { enabled?: boolean; disabledDay?: number } = {},
  secretTags: Record<string, string> = {},
  oldEnabled = current.enabled !== false,
): Inventory {
  const rotatedDay = 100;
  return inventory(
    [
      key({
        id: 'k1',
        credential: 'c',
        generation: 1,
        version: 'v1',
        createdDay: 0,
        activatedDay: 0,
        ...(!oldEnabled && { enabled: false, disabledDay: 101 }),
      }),
      key({
        id: 'k2',
        credential: 'c',
        generation: 2,
        version: 'v2',
        createdDay: rotatedDay,
        activatedDay: rotatedDay,
        ...current,
      }),
    ],
    [
      secret(
        'c',
        { v1: PREV, v2: CUR },
        { tags: { 'rotation:credential': 'c', ...secretTags }, lastRotatedDate: at(rotatedDay) },
      ),
    ],
  );
}

const suspendedOn = (day: number, version = 'v2') =>
  suspensionTags('rotation:', { since: at(day), version, reason: 'invoice 4711 unpaid' });

const kinds = (inv: Inventory, day: number) => plan(inv, config, at(day)).actions.map((a) => a.kind);

describe('suspension: the plan', () => {
  it('a suspended credential is never rotated, even long past due; not overdue; Secrets Manager held at 1000 days', () => {
    for (const day of [101, 200, 400, 2000]) {
      const result = plan(credential({ enabled: false }, suspendedOn(101)), config, at(day));
      // The older key, disabled by the suspension, is deleted after its disable window (30 days).
      expect(result.actions.map((a) => a.kind)).toEqual(
        day >= 131 ? ['configure-rotation', 'delete-key'] : ['configure-rotation'],
      );
      expect(result.actions[0]).toMatchObject({ scheduleDays: 1000 });
      expect(result.stats).toMatchObject({ overdueKeys: 0, suspendedCredentials: 1 });
      expect(result.findings).toContainEqual(
        expect.objectContaining({
          kind: 'credential-suspended',
          credential: 'c',
          keyId: 'k2',
          action: 'wait',
        }),
      );
      expect(result.findings.find((f) => f.kind === 'credential-suspended')?.message).toContain(
        'invoice 4711 unpaid',
      );
    }
    // Held already: nothing to do at all.
    const held = credential({ enabled: false }, suspendedOn(101));
    held.secrets[0]!.rotationPeriodDays = 1000;
    expect(kinds(held, 120)).toEqual([]);
  });

  it('a current key disabled by hand is an unplanned suspension: held the same, the finding names both ways out', () => {
    const result = plan(credential({ enabled: false }), config, at(120));
    // When it was found disabled is recorded: only a keyrot rotate asked after it rotates it.
    expect(result.actions.map((a) => a.kind)).toEqual(['record-disabled', 'configure-rotation']);
    const finding = result.findings.find((f) => f.kind === 'current-key-disabled');
    expect(finding?.message).toContain('keyrot resume c');
    expect(finding?.message).toContain('keyrot rotate c');
    expect(result.stats.overdueKeys).toBe(0);
  });

  it('an emergency request made before the suspension does not rotate it; one made after does, and ends it', () => {
    const before = requestTag('rotation:', { requestedAt: at(100.5), graceMs: 0, fromVersion: 'v2' });
    expect(kinds(credential({ enabled: false }, { ...suspendedOn(101), ...before }), 102)).toEqual([
      'configure-rotation',
    ]);
    const after = requestTag('rotation:', { requestedAt: at(102), graceMs: 0, fromVersion: 'v2' });
    const result = plan(credential({ enabled: false }, { ...suspendedOn(101), ...after }), config, at(102));
    expect(result.actions).toEqual([
      expect.objectContaining({ kind: 'rotate', revoke: true, endsSuspension: true, currentKeyId: 'k2' }),
    ]);
  });

  it('the leak case: a request on a credential whose current key was disabled by hand rotates it, in every plan, and revokes', () => {
    const request = requestTag('rotation:', { requestedAt: at(120), graceMs: 0, fromVersion: 'v2' });
    // keyrot rotate records when the key was found disabled just before its request.
    const inv = credential({ enabled: false, disabledDay: 120 }, request);
    inv.keys[1]!.planIds = ['plan-a', 'plan-b'];
    const [rotate] = plan(inv, config, at(120)).actions;
    expect(rotate).toMatchObject({ kind: 'rotate', revoke: true, currentKeyId: 'k2' });
    expect(rotate).not.toHaveProperty('endsSuspension');
    expect(rotate?.kind === 'rotate' && rotate.facts.planIds).toEqual(['plan-a', 'plan-b']);
  });

  it('a request older than the hand-disable does not let the consumer back in; the first run records when it found the key disabled', () => {
    const request = requestTag('rotation:', { requestedAt: at(110), graceMs: 0, fromVersion: 'v2' });
    // Disabled by hand, not yet recorded: the request can't be shown to come after it.
    const unrecorded = plan(credential({ enabled: false }, request), config, at(120));
    expect(unrecorded.actions.map((a) => `${a.kind}:${'keyId' in a ? a.keyId : a.credential}`)).toEqual([
      'record-disabled:k2',
      'configure-rotation:c',
    ]);
    // Recorded on day 115, after the request of day 110: still no rotation.
    const recorded = credential({ enabled: false, disabledDay: 115 }, request);
    expect(kinds(recorded, 120)).toEqual(['configure-rotation']);
    // keyrot rotate records the disable first: a named credential whose key is disabled without a record.
    expect(
      selectCredentials(credential({ enabled: false }), config, { names: ['c'] }).selected[0],
    ).toMatchObject({
      unrecordedDisabledKeyId: 'k2',
    });
  });

  it('cut off by hand with an older key still in its grace: that key retires on schedule, it is not left working', () => {
    const inv = credential({ enabled: false, disabledDay: 105 }, {}, true);
    // 90d policy: 14 days of grace from day 100.
    expect(kinds(inv, 110)).toEqual(['configure-rotation']);
    expect(plan(inv, config, at(115)).actions.map((a) => `${a.kind}:${'keyId' in a ? a.keyId : ''}`)).toEqual(
      ['configure-rotation:', 'disable-key:k1'],
    );
  });

  it("once AWSCURRENT moved past the suspended version, the suspension's record goes", () => {
    const inv = credential({}, suspendedOn(101, 'v1'));
    expect(kinds(inv, 110)).toContain('end-suspension');
  });

  it('a malformed suspension tag still suspends, with a finding naming the tag', () => {
    const result = plan(
      credential({ enabled: false }, { 'rotation:suspended': 'since tuesday' }),
      config,
      at(120),
    );
    expect(result.actions.map((a) => a.kind)).toEqual(['configure-rotation']);
    expect(result.findings).toContainEqual(
      expect.objectContaining({ kind: 'malformed-tag', tag: 'rotation:suspended' }),
    );
    expect(readSuspension('rotation:', { 'rotation:suspended': 'x' }, 's', 'c')?.finding?.message).toContain(
      'treated as suspended',
    );
  });

  it('rotate --all selectors skip suspended and cut-off credentials, saying why; naming one selects it', () => {
    const inv = credential({ enabled: false }, suspendedOn(101));
    expect(selectCredentials(inv, config, {})).toMatchObject({
      selected: [],
      skipped: [{ credential: 'c', why: expect.stringContaining('suspended since') }],
    });
    expect(selectCredentials(credential({ enabled: false }), config, {}).skipped[0]?.why).toContain(
      'disabled (cut off outside keyrot)',
    );
    expect(selectCredentials(inv, config, { names: ['c'] }).selected).toHaveLength(1);
  });
});

describe('suspension: the on-call plans', () => {
  it('suspend disables every enabled key of the credential and records the version it holds', () => {
    const action = planSuspend(credential(), config, { credential: 'c', reason: 'offboarded 2027-02-01' });
    expect(action).toMatchObject({
      kind: 'suspend',
      version: 'v2',
      disableKeyIds: ['k1', 'k2'],
      suspendReason: 'offboarded 2027-02-01',
    });
  });

  it('suspend refuses a reason a tag cannot hold, naming the characters; and a credential already suspended', () => {
    expect(() =>
      planSuspend(credential(), config, { credential: 'c', reason: "customer's card, declined" }),
    ).toThrow(/--reason holds characters a Secrets Manager tag can't: ' ,/);
    expect(reasonProblem('')).toContain('empty');
    const suspended = credential({ enabled: false }, suspendedOn(101));
    suspended.keys[0]!.enabled = false;
    expect(() => planSuspend(suspended, config, { credential: 'c', reason: 'again' })).toThrow(
      /already suspended since/,
    );
  });

  it('resume enables the current key and removes the record; past its period it rotates instead', () => {
    expect(
      planResume(credential({ enabled: false }, suspendedOn(101)), config, { credential: 'c', now: at(150) }),
    ).toMatchObject({
      kind: 'resume',
      keyId: 'k2',
      enable: true,
      clearTags: ['rotation:suspended', 'rotation:suspend-reason'],
    });
    // A key disabled by hand: nothing recorded to remove.
    expect(
      planResume(credential({ enabled: false }), config, { credential: 'c', now: at(150) }),
    ).toMatchObject({
      kind: 'resume',
      clearTags: [],
    });
    // 90 days after its activation on day 100.
    expect(
      planResume(credential({ enabled: false }, suspendedOn(101)), config, { credential: 'c', now: at(190) }),
    ).toEqual({
      rotate: expect.stringContaining('past its 90-day period'),
    });
    expect(() => planResume(credential(), config, { credential: 'c', now: at(150) })).toThrow(
      /is not suspended/,
    );
  });

  it('rollback refuses a suspended credential: it would enable a key', () => {
    expect(() =>
      planRollback(credential({ enabled: false }, suspendedOn(101)), config, {
        credential: 'c',
        now: at(150),
      }),
    ).toThrow(/is suspended since .* keyrot resume c first/);
    // Cut off by hand: the same.
    expect(() =>
      planRollback(credential({ enabled: false }), config, { credential: 'c', now: at(150) }),
    ).toThrow(/current key k2 is disabled \(its consumer is cut off\)/);
  });
});
