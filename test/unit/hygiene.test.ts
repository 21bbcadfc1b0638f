import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { EXEMPTIBLE } from '../../functions/core/checks/registry.js';
import { adoptedCredentialName } from '../../functions/core/checks/unmanaged.js';
import { plan } from '../../functions/core/plan.js';
import type { Inventory, ObservedKey, UsageWindow } from '../../functions/core/types.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const usage = (requests: Record<string, number>, lastUsed: Record<string, string> = {}): UsageWindow => ({
  from: '2026-01-01',
  to: '2026-12-31',
  requests,
  lastUsed,
});
const withUsage = (inv: Inventory, u: UsageWindow): Inventory => ({ ...inv, usage: u });
const kindsOf = (inv: Inventory, cfg = config, day = 400) => plan(inv, cfg, at(day));
const exempt = (checks: string, until: string, reason = 'batch job runs quarterly') => ({
  'rotation:exempt': checks,
  'rotation:exempt-until': until,
  'rotation:exempt-reason': reason,
});

describe('hygiene: unused keys', () => {
  const old = key({ id: 'u1', createdDay: 0 });
  it.each([
    {
      name: 'no request in the window, older than it: unused',
      k: old,
      u: usage({}),
      want: ['unused', 'unmanaged'],
    },
    { name: 'one request in the window: in use', k: old, u: usage({ u1: 1 }), want: ['unmanaged'] },
    {
      name: 'younger than the window: not yet',
      k: key({ id: 'u1', createdDay: 350 }),
      u: usage({}),
      want: ['unmanaged'],
    },
  ])('$name', ({ k, u, want }) => {
    const result = kindsOf(withUsage(inventory([k], []), u));
    expect(result.findings.map((f) => f.kind)).toEqual(want);
    expect(result.actions).toEqual([]);
  });

  it('a key of unknown age is never called unused', () => {
    const ageless = { ...old, createdDate: undefined };
    expect(kindsOf(withUsage(inventory([ageless], []), usage({}))).findings.map((f) => f.kind)).toEqual([
      'unmanaged',
    ]);
  });

  it('a malformed disabled-at on an unmanaged key: named in a finding, not taken as ours, judged as lingering', () => {
    const k = {
      ...key({ id: 'u1', enabled: false, tags: { 'rotation:disabled-at': 'last week' } }),
      lastUpdatedDate: at(0),
    };
    const { findings } = kindsOf(inventory([k], []));
    expect(findings.map((f) => f.kind)).toEqual(['malformed-tag', 'lingering']);
    expect(findings[0]?.message).toBe(
      'key u1: tag rotation:disabled-at="last week" is malformed; expected an ISO-8601 UTC time such as 2026-01-31T00:00:00Z',
    );
  });

  it('without usage data nothing is called unused', () => {
    expect(kindsOf(inventory([old], [])).findings.map((f) => f.kind)).toEqual(['unmanaged']);
  });

  it('action disable: the key enters two-phase retirement, and is deleted a window after', () => {
    const cfg = parseConfig({ hygiene: { unused: { action: 'disable' } } });
    const first = kindsOf(withUsage(inventory([old], []), usage({})), cfg);
    expect(first.actions).toEqual([
      expect.objectContaining({ kind: 'disable-key', keyId: 'u1', credential: undefined }),
    ]);
    expect(first.findings[0]).toMatchObject({ kind: 'unused', action: 'disable' });
    expect(first.stats.checks.unused).toBe(1);
    const disabled = key({ id: 'u1', createdDay: 0, enabled: false, disabledDay: 400 });
    expect(kindsOf(inventory([disabled], []), cfg, 429).actions).toEqual([]);
    expect(kindsOf(inventory([disabled], []), cfg, 430).actions).toEqual([
      expect.objectContaining({ kind: 'delete-key', keyId: 'u1' }),
    ]);
  });

  it('re-enabled by hand after keyrot disabled it: the disable record is forgotten, a later disable starts afresh', () => {
    const cfg = parseConfig({ hygiene: { unused: { action: 'disable' } } });
    const reenabled = key({ id: 'u1', createdDay: 0, disabledDay: 300 });
    const result = kindsOf(withUsage(inventory([reenabled], []), usage({ u1: 5 })), cfg);
    expect(result.actions).toEqual([
      {
        kind: 'forget-disabled',
        credential: undefined,
        keyId: 'u1',
        reason:
          'unmanaged key u1 was disabled by keyrot on 2026-10-28 and re-enabled by hand; its disable record is removed, so a later disable starts a fresh 30-day window',
      },
    ]);
    // Still unused: disabled again in the same run, after the old record is gone (a fresh window).
    const unused = kindsOf(withUsage(inventory([reenabled], []), usage({})), cfg);
    expect(unused.actions.map((a) => a.kind)).toEqual(['forget-disabled', 'disable-key']);
    // A disabled-at that is not ours (malformed) is left as it is.
    const foreign = key({ id: 'u1', createdDay: 0, tags: { 'rotation:disabled-at': 'last week' } });
    expect(kindsOf(withUsage(inventory([foreign], []), usage({ u1: 5 })), cfg).actions).toEqual([]);
  });

  it('a managed current key that is unused is reported, never disabled by hygiene', () => {
    const cfg = parseConfig({ hygiene: { unused: { action: 'disable' } } });
    const inv = withUsage(
      inventory(
        [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 350 })],
        [secret('c', { v1: ['AWSCURRENT'] })],
      ),
      usage({}),
    );
    const result = kindsOf(inv, cfg);
    expect(result.actions).toEqual([]);
    expect(result.findings).toEqual([
      expect.objectContaining({ kind: 'unused', credential: 'c', action: 'report' }),
    ]);
  });

  it('a managed current key in no plan is reported as orphaned', () => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 350, plans: [] })],
      [secret('c', { v1: ['AWSCURRENT'] })],
    );
    expect(kindsOf(inv).findings.map((f) => f.kind)).toEqual(['orphaned']);
  });
});

/** c rotated on day 90: k1 (90d policy) in its 14-day grace until day 104, k2 current; with `traffic`. */
const rotatedOnDay90 = (traffic: UsageWindow) =>
  withUsage(
    inventory(
      [
        key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 }),
        key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', activatedDay: 90 }),
      ],
      [secret('c', { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] })],
    ),
    traffic,
  );

describe('hygiene: a key in grace that still takes traffic', () => {
  const rotated = (lastUsed: string | undefined) =>
    rotatedOnDay90(
      usage(
        lastUsed ? { k1: 5, k2: 9 } : { k2: 9 },
        lastUsed ? { k1: lastUsed, k2: '2026-04-15' } : { k2: '2026-04-15' },
      ),
    );
  it.each([
    { name: 'traffic on the day grace ends: retirement waits, reported', lastUsed: '2026-04-15', wait: true },
    { name: 'traffic only before grace ended: disabled', lastUsed: '2026-04-14', wait: false },
    { name: 'no traffic: disabled', lastUsed: undefined, wait: false },
  ])('$name', ({ lastUsed, wait }) => {
    const result = plan(rotated(lastUsed), config, at(104));
    if (wait) {
      expect(result.actions).toEqual([]);
      expect(result.findings).toEqual([
        expect.objectContaining({ kind: 'retiring-key-in-use', keyId: 'k1', action: 'wait' }),
      ]);
    } else {
      expect(result.actions).toEqual([expect.objectContaining({ kind: 'disable-key', keyId: 'k1' })]);
    }
  });
});

describe('hygiene: an old key kept in use is retired anyway at the limit (issue 28, item 2)', () => {
  // k2 current since day 90; k1's 14-day grace (90d policy) ended on day 104; k1 used every day since.
  const usedUntil = (day: number) =>
    rotatedOnDay90(
      usage(
        { k1: 5, k2: 9 },
        { k1: at(day).toISOString().slice(0, 10), k2: at(day).toISOString().slice(0, 10) },
      ),
    );

  it('waits at most retirementDelayDays (default 7) past the grace, counted, then disables it naming its consumers', () => {
    const cfg = parseConfig({ consumers: { c: ['arn:aws:iam::111122223333:role/partner'] } });
    const retirements = (p: ReturnType<typeof plan>) => p.actions.filter((a) => a.kind !== 'grant-consumers');
    const waiting = plan(usedUntil(110), cfg, at(110));
    expect(retirements(waiting)).toEqual([]);
    expect(waiting.stats.postponedRetirements).toBe(1);
    expect(waiting.findings).toEqual([
      expect.objectContaining({
        kind: 'retiring-key-in-use',
        action: 'wait',
        message: expect.stringContaining('until 2026-04-22 at the latest'),
      }),
    ]);
    const cut = plan(usedUntil(111), cfg, at(111));
    expect(cut.stats.postponedRetirements).toBe(0);
    expect(retirements(cut)).toEqual([expect.objectContaining({ kind: 'disable-key', keyId: 'k1' })]);
    expect(cut.findings).toEqual([
      expect.objectContaining({
        kind: 'retiring-key-in-use',
        action: 'disable',
        message: expect.stringContaining('its consumers (arn:aws:iam::111122223333:role/partner) must read'),
      }),
    ]);
    expect(plan(usedUntil(111), config, at(111)).findings[0]?.message).toContain('whoever uses it must read');
  });

  it('a policy may allow no wait at all, or up to 30 days', () => {
    const policies = (retirementDelayDays: number) =>
      parseConfig({
        policies: { '90d': { periodDays: 90, graceDays: 14, disableWindowDays: 30, retirementDelayDays } },
      });
    expect(plan(usedUntil(104), policies(0), at(104)).actions).toEqual([
      expect.objectContaining({ kind: 'disable-key', keyId: 'k1' }),
    ]);
    expect(plan(usedUntil(133), policies(30), at(133)).actions).toEqual([]);
    expect(() => policies(31)).toThrow(/retirementDelayDays/);
  });
});

describe('hygiene: orphaned, lingering, unmanaged', () => {
  it('orphaned: in no usage plan; disable when policy says so', () => {
    const orphan = key({ id: 'o1', plans: [], createdDay: 390 });
    expect(kindsOf(inventory([orphan], [])).findings.map((f) => f.kind)).toEqual(['orphaned', 'unmanaged']);
    const cfg = parseConfig({ hygiene: { orphaned: { action: 'disable' }, unused: { action: 'disable' } } });
    const result = kindsOf(withUsage(inventory([orphan], []), usage({})), cfg);
    expect(result.actions).toEqual([expect.objectContaining({ kind: 'disable-key', keyId: 'o1' })]);
  });

  it('lingering: disabled by someone longer than the window (lastUpdatedDate); delete with action disable', () => {
    const lingering: ObservedKey = { ...key({ id: 'l1', enabled: false }), lastUpdatedDate: at(300) };
    expect(kindsOf(inventory([lingering], []), config, 329).findings).toEqual([]);
    const reported = kindsOf(inventory([lingering], []), config, 330);
    expect(reported.findings).toEqual([expect.objectContaining({ kind: 'lingering', action: 'report' })]);
    expect(reported.actions).toEqual([]);
    expect(reported.stats.checks.lingering).toBe(1);
    const cfg = parseConfig({ hygiene: { lingering: { action: 'disable' } } });
    expect(kindsOf(inventory([lingering], []), cfg, 330).actions).toEqual([
      expect.objectContaining({
        kind: 'delete-key',
        keyId: 'l1',
        reason: expect.stringContaining('lingering'),
      }),
    ]);
    const noDates: ObservedKey = { ...lingering, lastUpdatedDate: undefined, createdDate: undefined };
    expect(kindsOf(inventory([noDates], []), cfg, 330).actions).toEqual([]);
  });

  it('unmanaged with action adopt: an adopt action with a safe, unique credential name', () => {
    const cfg = parseConfig({ hygiene: { unmanaged: { action: 'adopt' } } });
    const a = { ...key({ id: 'a1' }), name: 'Legacy Partner (2019)' };
    const b = { ...key({ id: 'b2' }), name: 'Legacy Partner (2019)' };
    const result = kindsOf(inventory([a, b], []), cfg);
    expect(result.actions).toEqual([
      expect.objectContaining({
        kind: 'adopt-key',
        keyId: 'a1',
        credential: 'Legacy-Partner-2019-',
        policy: '90d',
      }),
      expect.objectContaining({ kind: 'adopt-key', keyId: 'b2', credential: 'Legacy-Partner-2019--b2' }),
    ]);
  });

  it('adopted names fall back to the key id', () => {
    expect(adoptedCredentialName({ ...key({ id: 'x9' }), name: '***' }, new Set())).toBe('x9');
  });

  it.each(['unused', 'orphaned', 'lingering', 'unmanaged', 'overdue', 'posture'] as const)(
    '%s: the fixture has the finding by default, and none with action ignore',
    (check) => {
      const base = withUsage(
        inventory(
          [
            key({ id: 'u1', createdDay: 0 }),
            key({ id: 'o1', plans: [] }),
            { ...key({ id: 'l1', enabled: false }), lastUpdatedDate: at(0) },
            key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 }),
          ],
          [secret('c', { v1: ['AWSCURRENT'] }, { rotationEnabled: true })],
        ),
        usage({}),
      );
      // A plan without throttle or quota, on a stage with a method open without a key: posture pitfalls.
      const inv: Inventory = {
        ...base,
        plans: [{ id: 'plan-a', name: 'A', apiStages: [{ apiId: 'api1', stage: 'prod' }], throttle: {} }],
        apis: [{ id: 'api1', name: 'api', apiKeySource: 'HEADER', methodsWithoutKey: ['GET /open'] }],
      };
      const found = (cfg: typeof config) =>
        plan(inv, cfg, at(400))
          .findings.map((f) => f.kind)
          .filter((k) => k === check || k.startsWith(`${check}-`));
      expect(found(config).length).toBeGreaterThan(0);
      expect(found(parseConfig({ hygiene: { [check]: { action: 'ignore' } } }))).toEqual([]);
    },
  );
});

describe('hygiene: exemptions', () => {
  const k = (tags: Record<string, string>) =>
    withUsage(inventory([key({ id: 'u1', createdDay: 0, tags })], []), usage({}));
  it('exempt through the named day, flagged the day after with an expired-exemption finding', () => {
    const inv = k(exempt('unused unmanaged', '2027-02-04'));
    expect(kindsOf(inv, config, 399).findings).toEqual([]);
    expect(kindsOf(inv, config, 399).stats.exemptions).toBe(1);
    const after = kindsOf(inv, config, 400).findings;
    expect(after.map((f) => f.kind)).toEqual(['exemption-expired', 'unused', 'unmanaged']);
    expect(after[0]).toMatchObject({ keyId: 'u1', tag: 'rotation:exempt-until', exemptUntil: '2027-02-04' });
  });

  it.each([
    [exempt('unused', '2027-13-01'), 'must be a date such as 2026-12-31'],
    [exempt('unused', 'someday'), 'must be a date'],
    [
      exempt('usage', '2027-12-01'),
      // The registry's exemptible checks, in its order.
      `must list checks from ${EXEMPTIBLE.join(' ')}`,
    ],
    [exempt('', '2027-12-01'), 'must list checks'],
    [exempt('unused', '2027-12-01', ' '), 'rotation:exempt-reason must say why'],
    [{ 'rotation:exempt': 'unused' }, 'rotation:exempt-until=""'],
  ])('a malformed exemption %j is ignored and named', (tags, message) => {
    const findings = kindsOf(k(tags), config, 300).findings;
    expect(findings[0]).toMatchObject({ kind: 'malformed-tag', keyId: 'u1', tag: 'rotation:exempt' });
    expect(findings[0]?.message).toContain(message);
    expect(findings.map((f) => f.kind)).toContain('unused');
  });

  it('a managed key can be exempt from the overdue check', () => {
    const inv = inventory(
      [
        key({
          id: 'k1',
          credential: 'c',
          generation: 1,
          version: 'v1',
          activatedDay: 0,
          tags: exempt('overdue', '2027-12-31'),
        }),
      ],
      [secret('c', { v1: ['AWSCURRENT', 'AWSPENDING'], v2: ['AWSPENDING'] })],
    );
    const result = plan(
      { ...inv, secrets: [secret('c', { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] })] },
      config,
      at(400),
    );
    expect(result.stats.overdueKeys).toBe(1);
    expect(result.findings.map((f) => f.kind)).toEqual([]);
  });
});

describe('overdue and quota', () => {
  it('a current key past period plus grace is an overdue finding', () => {
    const inv = inventory(
      [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
      [secret('c', { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] })],
    );
    expect(plan(inv, config, at(104)).findings).toEqual([
      expect.objectContaining({
        kind: 'overdue',
        credential: 'c',
        message: expect.stringContaining('active since 2026-01-01'),
      }),
    ]);
  });

  it('rotations beyond the quota headroom are refused, most overdue first in line', () => {
    const cfg = parseConfig({ hygiene: { quota: { limit: 6, headroom: 2 } } });
    const keys = ['a', 'b', 'c'].map((c, i) =>
      key({ id: `k${c}`, credential: c, generation: 1, version: `v${c}`, activatedDay: i === 1 ? 0 : 10 }),
    );
    const result = plan(
      inventory(
        keys,
        ['a', 'b', 'c'].map((c) => secret(c, { [`v${c}`]: ['AWSCURRENT'] })),
      ),
      cfg,
      at(200),
    );
    expect(result.actions.map((a) => a.credential)).toEqual(['b']);
    const refused = result.findings.filter((f) => f.kind === 'quota' && f.action === 'refuse');
    expect(refused.map((f) => f.credential)).toEqual(['a', 'c']);
    expect(refused[0]?.message).toContain('rotation refused: 3 of 6 API keys in use');
  });

  it('at the headroom: a quota finding, and no rotation at all', () => {
    const cfg = parseConfig({ hygiene: { quota: { limit: 3, headroom: 2 } } });
    const result = plan(
      inventory(
        [key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 })],
        [secret('c', { v1: ['AWSCURRENT'] })],
      ),
      cfg,
      at(100),
    );
    expect(result.actions).toEqual([]);
    expect(result.findings.map((f) => `${f.kind}:${f.action}`)).toEqual(['quota:report', 'quota:refuse']);
  });
});
