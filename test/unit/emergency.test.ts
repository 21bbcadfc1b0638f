import { describe, expect, it } from 'vitest';
import { readRequest, requestTag } from '../../functions/core/emergency.js';
import { estimateWave, selectCredentials } from '../../functions/core/mass-rotation.js';
import { plan } from '../../functions/core/plan.js';
import type { Inventory } from '../../functions/core/types.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const P = 'rotation:';
// The default share of API Gateway's shared budget (6/s), CreateApiKey, Secrets Manager writes.
const RATES = { shared: 6, createApiKey: 5, secretWrites: 50 };
const CUR = ['AWSCURRENT'];
const PREV = ['AWSPREVIOUS'];

/** Credential `name`, its only key current since day 0 (90d policy: due on day 90), in `plans`. */
function credential(name: string, plans: string[], extra: Parameters<typeof key>[0]['tags'] = {}) {
  return {
    key: key({
      id: `${name}-k1`,
      credential: name,
      generation: 1,
      version: `${name}-v1`,
      createdDay: 0,
      activatedDay: 0,
      plans,
      tags: extra,
    }),
    secret: secret(name, { [`${name}-v1`]: CUR }),
  };
}

function account(requestedDay?: number, graceMs?: number): Inventory {
  const all = [
    credential('acme', ['gold']),
    credential('beta', ['gold', 'silver']),
    credential('paused', ['silver'], { 'rotation:paused-until': at(200).toISOString() }),
  ];
  return inventory(
    all.map((c) => c.key),
    all.map((c) =>
      requestedDay === undefined
        ? c.secret
        : {
            ...c.secret,
            tags: { ...c.secret.tags, ...requestTag(P, { requestedAt: at(requestedDay), graceMs }) },
          },
    ),
  );
}

/** acme rotated to generation 2, current since `activatedDay` (created on day 10). */
function rotateAcme(inv: Inventory, activatedDay: number): void {
  inv.keys.push(
    key({
      id: 'acme-k2',
      credential: 'acme',
      generation: 2,
      version: 'acme-v2',
      createdDay: 10,
      activatedDay,
      plans: ['gold'],
    }),
  );
  // setSecret records the new key as the credential's.
  const tags = { ...inv.secrets[0]!.tags, 'rotation:keys': 'acme-k1 acme-k2' };
  inv.secrets[0] = { ...inv.secrets[0]!, tags, versions: { 'acme-v1': PREV, 'acme-v2': CUR } };
}

const rotations = (inv: Inventory, day: number) =>
  plan(inv, config, at(day))
    .actions.filter((a) => a.kind === 'rotate')
    .map((a) => a.credential);

describe('an emergency request on the secrets', () => {
  it('makes every requested credential due now, paused ones too, first in line', () => {
    expect(rotations(account(), 10)).toEqual([]);
    expect(rotations(account(10), 10)).toEqual(['acme', 'beta', 'paused']);
    const reason = plan(account(10), config, at(10)).actions[0]?.reason;
    expect(reason).toMatch(
      /^emergency rotation requested at 2026-01-11T00:00:00.000Z \(keyrot rotate --all\)/,
    );
  });

  it('is fulfilled once the current key became current after it: no second rotation', () => {
    const inv = account(10);
    // acme rotated on day 10, just after the request.
    rotateAcme(inv, 10.01);
    expect(rotations(inv, 10.02)).toEqual(['beta', 'paused']);
  });

  it('a request naming the version it rotates away from stands exactly while that version is current', () => {
    // acme rotated to v2 moments before the request, recorded (to the second, rounded up) just after it.
    const inv = account();
    rotateAcme(inv, 10.00001);
    const asked = (fromVersion?: string) => ({
      ...inv,
      secrets: inv.secrets.map((s) => ({
        ...s,
        tags: { ...s.tags, ...requestTag(P, { requestedAt: at(10), fromVersion }) },
      })),
    });
    // By time alone acme looks rotated already; by the version it names, it is still due.
    expect(rotations(asked(), 10.01)).toEqual(['beta', 'paused']);
    expect(rotations(asked('acme-v2'), 10.01)).toContain('acme');
    // The version rotated away from: fulfilled.
    expect(rotations(asked('acme-v1'), 10.01)).not.toContain('acme');
  });

  it('with zero grace the rotation revokes the old key; with a grace, the old key retires when it ends, in use or not', () => {
    const revoke = plan(account(10, 0), config, at(10)).actions.find((a) => a.kind === 'rotate');
    expect(revoke?.kind === 'rotate' && revoke.revoke).toBe(true);
    // The rotation function revokes it itself, as soon as AWSCURRENT moves (its facts say so).
    expect(revoke?.kind === 'rotate' && revoke.facts.revoke).toBe(true);
    const graced = plan(account(10, 3_600_000), config, at(10)).actions.find((a) => a.kind === 'rotate');
    expect(graced?.kind === 'rotate' && graced.revoke).toBeUndefined();
    expect(graced?.kind === 'rotate' && graced.facts.revoke).toBeUndefined();
    // acme rotated at day 10 with a one-hour grace: its old key is disabled two hours later although it
    // took requests that day (a leaked key in use is the point).
    const inv = account(10, 3_600_000);
    rotateAcme(inv, 10.001);
    inv.usage = {
      from: '2026-01-01',
      to: '2026-01-11',
      requests: { 'acme-k1': 5 },
      lastUsed: { 'acme-k1': '2026-01-11' },
    };
    const later = plan(inv, config, new Date(at(10).getTime() + 2 * 3_600_000));
    expect(later.actions.find((a) => a.kind === 'disable-key' && a.keyId === 'acme-k1')?.reason).toMatch(
      /by an emergency rotation \(requested 2026-01-11T00:00:00.000Z\); its grace ended 2026-01-11T0\d:/,
    );
    // Without the request the same key would wait for its consumers (grace not ended, either).
    const calm = {
      ...inv,
      secrets: inv.secrets.map((s) => ({
        ...s,
        tags: { 'rotation:credential': s.name.slice(7), 'rotation:keys': s.tags['rotation:keys']! },
      })),
    };
    expect(
      plan(calm, config, new Date(at(10).getTime() + 2 * 3_600_000)).actions.some(
        (a) => a.kind === 'disable-key',
      ),
    ).toBe(false);
  });

  it('a malformed request is a finding naming the secret and the tag, and rotates nothing', () => {
    const inv = account();
    inv.secrets[0] = {
      ...inv.secrets[0]!,
      tags: { ...inv.secrets[0]!.tags, 'rotation:rotate-requested': 'now please' },
    };
    const planned = plan(inv, config, at(10));
    expect(planned.actions.filter((a) => a.kind === 'rotate')).toEqual([]);
    expect(planned.findings.map((f) => f.message)).toContainEqual(
      expect.stringMatching(/^secret keyrot\/acme: tag rotation:rotate-requested="now please" is malformed/),
    );
    expect(readRequest(P, requestTag(P, { requestedAt: at(1), graceMs: 90_000 }), 's', 'c')).toEqual({
      requestedAt: at(1),
      graceMs: 90_000,
      fromVersion: undefined,
    });
    const v = 'a1b2c3d4-0000-5000-a000-000000000000';
    expect(readRequest(P, requestTag(P, { requestedAt: at(1), fromVersion: v }), 's', 'c')).toEqual({
      requestedAt: at(1),
      graceMs: undefined,
      fromVersion: v,
    });
  });
});

describe('selecting credentials for a mass rotation, and its estimate', () => {
  const inv = { ...account(), plans: ['gold', 'silver'].map((id) => ({ id, name: id, apiStages: [] })) };

  it('selectors narrow --all: by plan, by policy, by name prefix; all given must match', () => {
    const names = (s: Parameters<typeof selectCredentials>[2]) =>
      selectCredentials(inv, config, s).selected.map((c) => c.credential);
    expect(names({})).toEqual(['acme', 'beta', 'paused']);
    expect(names({ plans: ['silver'] })).toEqual(['beta', 'paused']);
    expect(names({ policies: ['30d'] })).toEqual([]);
    expect(names({ policies: ['90d'], prefix: 'b' })).toEqual(['beta']);
    expect(selectCredentials(inv, config, { plans: ['gold'] }).selected[1]?.planIds).toEqual([
      'gold',
      'silver',
    ]);
  });

  it('the estimate is the busiest quota: here the shared budget at the configured share', () => {
    const selected = selectCredentials(inv, config, {}).selected;
    const estimate = estimateWave(inv, selected, config, { revoke: false, readsUsage: false, rates: RATES });
    // Reads: keys (1 page), plans (1), each plan's keys (2); attachments 4; keys and plans again (2).
    expect(estimate).toMatchObject({
      rotations: 3,
      attachments: 4,
      sharedCalls: 10,
      boundBy: 'API Gateway shared budget',
    });
    expect(estimate.seconds).toBeCloseTo(10 / 6);
    // Tagging the request on each secret first: three Secrets Manager writes more, at 50/s.
    expect(
      estimateWave(inv, selected, config, {
        revoke: false,
        readsUsage: false,
        requestTags: true,
        rates: RATES,
      }).seconds,
    ).toBeCloseTo(10 / 6 + 3 / 50);
    // Revoking adds a disable and a tag per old key; a bigger share goes faster, until CreateApiKey binds.
    expect(
      estimateWave(inv, selected, config, { revoke: true, readsUsage: false, rates: RATES }).sharedCalls,
    ).toBe(16);
    const thousand = Array.from({ length: 1000 }, (_, i) => ({
      ...selected[0]!,
      credential: `c${i}`,
      planIds: ['gold'],
    }));
    const whole = { ...RATES, shared: 10 };
    expect(
      estimateWave(inv, thousand, config, { revoke: false, readsUsage: false, rates: whole }),
    ).toMatchObject({
      boundBy: 'CreateApiKey',
      seconds: 200,
    });
  });
});
