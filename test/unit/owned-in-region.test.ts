import { describe, expect, it } from 'vitest';
import { InputError } from '../../functions/commons/errors.js';
import { parseConfig } from '../../functions/core/config.js';
import { runEvents, DETAIL_TYPE } from '../../functions/core/events.js';
import { selectCredentials } from '../../functions/core/mass-rotation.js';
import { plan } from '../../functions/core/plan.js';
import { planRegionalRetirement } from '../../functions/core/regional-retirement.js';
import { arnRegion, homeRegionElsewhere } from '../../functions/core/home-region.js';
import { buildRunReport } from '../../functions/core/report.js';
import { SECURITY_CHECKS } from '../../functions/core/security-findings.js';
import type { Finding, Inventory, ObservedSecret } from '../../functions/core/types.js';
import { planOnboard } from '../../functions/onboarding/onboard.js';
import { planRollback } from '../../functions/oncall/rollback.js';
import { planResume, planSuspend } from '../../functions/oncall/suspension.js';
import { at, inventory, key, secret } from './fixtures.js';

const CUR = ['AWSCURRENT'];
const PREV = ['AWSPREVIOUS'];
const HOME = 'us-east-1';
const HERE = 'eu-west-1';
const CONSUMER = 'arn:aws:iam::111122223333:role/alice-app';

/** Every hygiene action on, and a consumer to grant: whatever a run may do to a credential, it would. */
const config = parseConfig({
  staggerPercent: 0,
  consumers: { alice: [CONSUMER] },
  hygiene: { unused: { action: 'disable', days: 30 }, orphaned: { action: 'disable' } },
});

/** Alice's secret as a region sees it: `region` holds it, primary in `primary` (none: never replicated). */
function aliceSecret(region: string, primary: string | undefined, tags: Record<string, string> = {}) {
  const s = secret('alice', { v2: PREV, v3: CUR }, { rotationEnabled: false });
  return {
    ...s,
    arn: s.arn.replace('us-east-1', region),
    ...(primary !== undefined && { primaryRegion: primary }),
    tags: { ...s.tags, ...tags },
  } satisfies ObservedSecret;
}

/**
 * Credential alice on day 400: everything is due. k1 disabled past its disable window (delete); k2
 * superseded past its grace, in a plan the current key is not in (disable, attach-key); k3 current since
 * day 200 (rotate, overdue); k4 claims alice, unrecorded and in no plan (ownership-mismatch, orphaned).
 * No request over the usage window (unused). The secret has rotation off and no consumer granted.
 */
function alice(secretOf: ObservedSecret, { unreadable = false } = {}): Inventory {
  const base = inventory(
    [
      key({
        id: 'k1',
        credential: 'alice',
        generation: 1,
        version: 'v1',
        activatedDay: 0,
        enabled: false,
        disabledDay: 110,
      }),
      key({
        id: 'k2',
        credential: 'alice',
        generation: 2,
        version: 'v2',
        activatedDay: 100,
        plans: ['plan-a', 'plan-b'],
      }),
      key({
        id: 'k3',
        credential: 'alice',
        generation: 3,
        version: 'v3',
        createdDay: 200,
        activatedDay: 200,
      }),
      key({
        id: 'k4',
        credential: 'alice',
        generation: 3,
        version: 'v9',
        plans: [],
        ...(unreadable && { tags: { 'rotation:created-at': 'yesterday' } }),
      }),
    ],
    [{ ...secretOf, tags: { 'rotation:keys': 'k1 k2 k3', ...secretOf.tags } }],
  );
  return { ...base, usage: { from: '2027-01-01', to: '2027-02-04', requests: {}, lastUsed: {} } };
}

const DAY = 400;
const ownedHere = alice(aliceSecret(HOME, HOME));
const replica = alice(aliceSecret(HERE, HOME));
const kindsOf = (findings: Finding[]) => findings.map((f) => f.kind).sort();

describe('a secret’s home region', () => {
  it('is elsewhere only when its PrimaryRegion is not the region of its own ARN', () => {
    expect(arnRegion('arn:aws:secretsmanager:eu-west-1:123456789012:secret:keyrot/a-AbCdEf')).toBe(HERE);
    expect(arnRegion('not-an-arn')).toBeUndefined();
    expect(arnRegion('arn:aws:s3:::reports')).toBeUndefined();
    expect(homeRegionElsewhere(aliceSecret(HERE, HOME))).toBe(HOME);
    expect(homeRegionElsewhere(aliceSecret(HOME, HOME))).toBeUndefined();
    // Never replicated: Secrets Manager may name no PrimaryRegion.
    expect(homeRegionElsewhere(aliceSecret(HOME, undefined))).toBeUndefined();
    expect(homeRegionElsewhere({ arn: 'not-an-arn', primaryRegion: HOME })).toBeUndefined();
  });
});

describe('plan: a credential owned in another region', () => {
  it('with its replica here: nothing is planned, one owned-in-region finding names its home region', () => {
    // In its home region, the same credential has everything due.
    const home = plan(ownedHere, config, at(DAY));
    expect(home.actions.map((a) => `${a.kind}:${'keyId' in a ? a.keyId : a.credential}`).sort()).toEqual([
      'attach-key:k3',
      'delete-key:k1',
      'disable-key:k2',
      'grant-consumers:alice',
      'rotate:alice',
    ]);
    expect(kindsOf(home.findings)).toEqual(
      expect.arrayContaining(['overdue', 'ownership-mismatch', 'unused']),
    );

    const result = plan(replica, config, at(DAY));
    expect(result.actions).toEqual([]);
    expect(result.findings).toEqual([
      {
        kind: 'owned-in-region',
        credential: 'alice',
        action: 'report',
        message: expect.stringContaining(`owned in ${HOME}, its home region`) as string,
      },
    ]);
    expect(result.findings[0]?.message).toContain('its key(s) here: k1, k2, k3, k4');
    expect(result.stats).toMatchObject({ overdueKeys: 0, keysInGrace: 0, unmanagedKeys: 0 });
    expect(result.stats.checks).toMatchObject({ unused: 0, orphaned: 0 });
  });

  it('a secret without an ownership record, or keys with malformed tags: still nothing but that finding', () => {
    const legacy = alice({ ...aliceSecret(HERE, HOME), tags: { 'rotation:credential': 'alice' } });
    const noRecord = {
      ...legacy,
      secrets: legacy.secrets.map((s) => ({ ...s, tags: { 'rotation:credential': 'alice' } })),
    };
    for (const inv of [noRecord, alice(aliceSecret(HERE, HOME), { unreadable: true })]) {
      const result = plan(inv, config, at(DAY));
      expect(result.actions).toEqual([]);
      expect(kindsOf(result.findings)).toEqual(['owned-in-region']);
    }
  });

  it('a replica with no key here: that finding, not credential-without-keys', () => {
    const result = plan(inventory([], [aliceSecret(HERE, HOME)]), config, at(DAY));
    expect(result.actions).toEqual([]);
    expect(kindsOf(result.findings)).toEqual(['owned-in-region']);
    expect(result.findings[0]?.message).toContain('no key of it is here');
  });

  it('a secret whose tag names another credential than its name: only the owned-in-region finding', () => {
    const result = plan(alice(aliceSecret(HERE, HOME, { 'rotation:credential': 'bob' })), config, at(DAY));
    expect(kindsOf(result.findings)).toEqual(['owned-in-region']);
  });

  it('its keys stay the credential’s: report rows of it (not unmanaged keys), its name taken for adoption', () => {
    const result = plan(replica, config, at(DAY));
    const report = buildRunReport({
      runId: 'r',
      trigger: 'schedule',
      dryRun: true,
      now: at(DAY),
      config,
      before: replica,
      plan: result,
      outcomes: [],
      after: replica,
    });
    expect(report.keys.map((r) => [r.keyId, r.credential, r.state, r.action])).toEqual([
      ['k1', 'alice', 'disabled', null],
      ['k2', 'alice', 'retiring', null],
      ['k3', 'alice', 'active', null],
      ['k4', 'alice', 'retiring', null],
    ]);
    expect(report.actions).toEqual([]);

    const adopting = parseConfig({ staggerPercent: 0, hygiene: { unmanaged: { action: 'adopt' } } });
    const stray = key({ id: 'u1' });
    stray.name = 'alice';
    const inv = { ...replica, keys: [...replica.keys, stray] };
    const adopted = plan(inv, adopting, at(DAY)).actions.find((a) => a.kind === 'adopt-key');
    expect(adopted?.credential).toBe('alice-u1');
  });
});

describe('the other regions of a stack whose replicaRegions name the home region', () => {
  it('keep their keys of a credential owned there: this region’s stack retires none of them', () => {
    // In us-east-1: an old key disabled a day ago (its disable window runs) whose twin here is gone, and
    // generation 2's key, whose twin here is disabled. us-east-1's stack retires them, not this one.
    const homeKeys = [
      key({ id: 'h0', credential: 'alice', generation: 1, version: 'v0', enabled: false, disabledDay: 399 }),
      key({ id: 'h2', credential: 'alice', generation: 2, version: 'v2', enabled: true }),
    ];
    const here = alice(aliceSecret(HERE, HOME));
    const hereDisabled = {
      ...here,
      keys: here.keys.map((k) => (k.id === 'k2' ? { ...k, enabled: false } : k)),
    };
    const regions = [{ region: HOME, keys: homeKeys }];
    expect(planRegionalRetirement(hereDisabled, [], regions, config)).toEqual([]);
    // Were the secret here the primary, the same keys would follow their twins here.
    const primary = { ...hereDisabled, secrets: alice(aliceSecret(HERE, HERE)).secrets };
    expect(planRegionalRetirement(primary, [], regions, config).map((a) => `${a.kind} ${a.keyId}`)).toEqual([
      'delete-key h0',
      'disable-key h2',
    ]);
  });
});

describe('on-call commands on a credential owned in another region', () => {
  const refusal = new RegExp(
    `credential alice is owned in ${HOME}.*run it in ${HOME}, the credential's home region`,
  );

  it('rollback, suspend, resume and onboard refuse, naming the home region', () => {
    const attempts = [
      () => planRollback(replica, config, { credential: 'alice', now: at(DAY) }),
      () => planSuspend(replica, config, { credential: 'alice', reason: 'invoice 4711 unpaid' }),
      () => planResume(replica, config, { credential: 'alice', now: at(DAY) }),
      () =>
        planOnboard(replica, config, { credential: 'alice', usagePlanIds: ['plan-a'], newVersion: 'v10' }),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrow(InputError);
      expect(attempt).toThrow(refusal);
    }
  });

  it('rotate --all and its selectors skip it, saying where it is rotated', () => {
    const selection = selectCredentials(replica, config, {});
    expect(selection.selected).toEqual([]);
    expect(selection.skipped).toEqual([
      {
        credential: 'alice',
        why: `owned in ${HOME}, its home region (its secret here is a replica): rotate it there`,
      },
    ]);
    expect(selectCredentials(ownedHere, config, {}).selected.map((s) => s.credential)).toEqual(['alice']);
  });
});

describe('the owned-in-region finding downstream', () => {
  it('is informational in Security Hub, with a runbook section', () => {
    expect(SECURITY_CHECKS['owned-in-region']).toMatchObject({
      severity: 'INFORMATIONAL',
      runbook: 'hygiene-findings.md#owned-in-region',
    });
  });

  it('its events come after the findings someone must act on', () => {
    const owned: Finding[] = Array.from({ length: 150 }, (_, i) => ({
      kind: 'owned-in-region',
      credential: `c${i}`,
      message: `credential c${i}: owned in ${HOME}`,
    }));
    const unmanaged: Finding = { kind: 'unmanaged', keyId: 'u1', message: 'key u1 has no tag' };
    const events = runEvents({ runId: 'r', trigger: 'schedule', now: at(DAY) }, [], [...owned, unmanaged]);
    const sent = events.filter((e) => e.detailType === DETAIL_TYPE.finding).map((e) => e.detail.kind);
    expect(sent[0]).toBe('unmanaged');
    expect(sent).toHaveLength(100);
  });
});
