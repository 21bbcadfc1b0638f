import { describe, expect, it } from 'vitest';
import { plan } from '../../functions/core/plan.js';
import { planRollback } from '../../functions/oncall/rollback.js';
import { at, config, inventory, iso, key, secret } from './fixtures.js';

const CUR = ['AWSCURRENT'];
const PREV = ['AWSPREVIOUS'];
const kinds = (actions: { kind: string; keyId?: string; credential?: string }[]) =>
  actions.map((a) => `${a.kind}:${a.keyId ?? a.credential}`);

/** Generation 1 current since day 0, rotated on day 90 to generation 2 (90d policy: 14 days of grace). */
function rotated(k1: Parameters<typeof key>[0] extends infer S ? Partial<S> : never = {}) {
  return inventory(
    [
      key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0, ...k1 }),
      key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', activatedDay: 90, plans: ['plan-a'] }),
    ],
    [secret('c', { v1: PREV, v2: CUR })],
  );
}

describe('planRollback: the previous key current again, safely', () => {
  it('plans the restore of AWSPREVIOUS in place of AWSCURRENT, with the age of the restored key said', () => {
    const action = planRollback(rotated(), config, { credential: 'c', now: at(91) });
    expect(action).toMatchObject({
      kind: 'rollback',
      keyId: 'k1',
      version: 'v1',
      fromKeyId: 'k2',
      fromVersion: 'v2',
      enable: false,
      attachPlanIds: [],
    });
    expect(action.forced).toBeUndefined();
    expect(action.reason).toContain(`its age counts from ${iso(0).slice(0, 10)}`);
  });

  it('refuses a key revoked because it leaked, naming it and --force; forced, the action says so', () => {
    const inv = rotated({ enabled: false, disabledDay: 90, tags: { 'rotation:revoked-at': iso(90) } });
    expect(() => planRollback(inv, config, { credential: 'c', now: at(91) })).toThrow(
      /key k1 \(version v1\) was revoked on 2026-04-01 because it leaked.*keyrot rollback c --force/,
    );
    const forced = planRollback(inv, config, { credential: 'c', force: true, now: at(91) });
    expect(forced).toMatchObject({ enable: true, forced: { revokedAt: iso(90) } });
    expect(forced.reason).toContain('FORCED');
  });

  it('a restored key that is due is held by default (the next run would rotate it again at once); --pause chooses; one not due is not held', () => {
    // k1 active since day 0 under 90d: due on day 90, rolled back on day 91.
    const held = planRollback(rotated(), config, { credential: 'c', now: at(91) });
    expect(held).toMatchObject({ pauseUntil: iso(91 + 14) });
    expect(held.reason).toContain('rotation held until 2026-04-16 by default');
    // Applied, the next day's run does not rotate it.
    const after = rotated({
      tags: { 'rotation:restored-at': iso(91), 'rotation:paused-until': held.pauseUntil! },
    });
    after.secrets[0]!.versions = { v1: CUR, v2: PREV };
    expect(plan(after, config, at(92)).actions.map((a) => a.kind)).not.toContain('rotate');
    expect(
      planRollback(rotated(), config, { credential: 'c', now: at(91), pauseUntil: at(94) }),
    ).toMatchObject({
      pauseUntil: iso(94),
    });
    // Rotated early (an emergency on day 10): the restored key is due on day 90, nothing to hold.
    const early = rotated();
    early.keys[1]!.tags['rotation:activated-at'] = iso(10);
    expect(planRollback(early, config, { credential: 'c', now: at(11) }).pauseUntil).toBeUndefined();
  });

  it('clears an emergency request that would stand again once its version is current', () => {
    const inv = rotated();
    inv.secrets[0]!.tags['rotation:rotate-requested'] = `${iso(89)} from=v1`;
    expect(planRollback(inv, config, { credential: 'c', now: at(91) }).clearRequestTag).toBe(
      'rotation:rotate-requested',
    );
  });
});

describe('plan after a rollback: age from activation, successors retire from the rollback', () => {
  // Rolled back on day 91: generation 1 current again (restored-at), generation 2 rolled back from.
  const rolledBack = () =>
    inventory(
      [
        key({
          id: 'k1',
          credential: 'c',
          generation: 1,
          version: 'v1',
          activatedDay: 0,
          tags: { 'rotation:restored-at': iso(91) },
        }),
        key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', activatedDay: 90 }),
      ],
      [secret('c', { v1: CUR, v2: PREV })],
    );

  it('the restored key is due by its own age (day 90), not a full period after the rollback', () => {
    expect(kinds(plan(rolledBack(), config, at(92)).actions)).toContain('rotate:c');
  });

  it('the key rolled back from keeps its grace from the rollback (day 91 + 14), not from its activation', () => {
    const paused = rolledBack();
    paused.keys[0]!.tags['rotation:paused-until'] = iso(200);
    const retirements = (day: number) =>
      kinds(plan(paused, config, at(day)).actions).filter((k) => k.startsWith('disable'));
    expect(retirements(104)).toEqual([]);
    expect(retirements(105)).toEqual(['disable-key:k2']);
  });

  it('rotated again after the rollback: the restored key retires from that rotation, not from generation 2', () => {
    const inv = rolledBack();
    inv.keys.push(key({ id: 'k3', credential: 'c', generation: 3, version: 'v3', activatedDay: 100 }));
    inv.secrets[0] = secret('c', { v1: PREV, v2: [], v3: CUR });
    const at110 = kinds(plan(inv, config, at(110)).actions);
    expect(at110).not.toContain('disable-key:k1');
    expect(at110).toContain('disable-key:k2');
    expect(kinds(plan(inv, config, at(114)).actions)).toContain('disable-key:k1');
  });
});
