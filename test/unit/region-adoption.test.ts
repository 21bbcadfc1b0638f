/**
 * The one rule every region's stack applies to unmanaged keys that share a value across regions
 * (core/region-adoption.ts, docs/multi-region.md), with plain data: which region adopts, who defers,
 * and what the plan says about it.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { plan } from '../../functions/core/plan.js';
import {
  adoptionOrder,
  matchCopies,
  regionDecision,
  type KeyCopies,
  type SharedValues,
} from '../../functions/core/region-adoption.js';
import type { Inventory } from '../../functions/core/types.js';
import { at, inventory, key, secret } from './fixtures.js';

const HOME = 'us-east-1';
const OTHER = 'eu-west-1';
const THIRD = 'ap-south-1';
const adopt = parseConfig({ staggerPercent: 0, hygiene: { unmanaged: { action: 'adopt' } } });
const digested = (id: string, name: string, digest: string) => ({ id, name, digest });

describe('adoptionOrder', () => {
  it('is replicaRegions as configured, the same for every stack of one configuration', () => {
    expect(adoptionOrder(OTHER, [HOME, OTHER, THIRD])).toEqual([HOME, OTHER, THIRD]);
    expect(adoptionOrder(HOME, [HOME, OTHER, THIRD])).toEqual([HOME, OTHER, THIRD]);
  });
  it("puts the stack's own region first when the configuration leaves it out", () => {
    expect(adoptionOrder(HOME, [OTHER, THIRD])).toEqual([HOME, OTHER, THIRD]);
  });
});

describe('matchCopies', () => {
  it('pairs keys by digest; a name in common with another digest is a namesake, not a copy', () => {
    const here = [
      digested('h1', 'partner', 'd1'),
      digested('h2', 'billing', 'd2'),
      digested('h3', 'solo', 'd3'),
    ];
    const elsewhere = [
      { region: OTHER, keys: [digested('e1', 'partner-eu', 'd1'), digested('e2', 'billing', 'd9')] },
      { region: THIRD, keys: [digested('s1', 'partner', 'd1')] },
    ];
    expect(matchCopies(here, elsewhere)).toEqual([
      {
        keyId: 'h1',
        copies: [
          { region: OTHER, keyId: 'e1', name: 'partner-eu' },
          { region: THIRD, keyId: 's1', name: 'partner' },
        ],
        namesakes: [],
      },
      { keyId: 'h2', copies: [], namesakes: [{ region: OTHER, keyId: 'e2', name: 'billing' }] },
    ]);
  });
});

describe('regionDecision', () => {
  const shared = (region: string, over: Partial<SharedValues> = {}): SharedValues => ({
    region,
    order: [HOME, OTHER, THIRD],
    unread: [],
    keys: [],
    ...over,
  });
  const copy = (region: string, keyId: string) => ({ region, keyId, name: 'partner' });

  it('the first region of the order holding the value adopts every copy', () => {
    const s = shared(HOME, {
      keys: [{ keyId: 'h1', copies: [copy(THIRD, 's1'), copy(OTHER, 'e1')], namesakes: [] }],
    });
    expect(regionDecision(s, 'h1')).toEqual({
      kind: 'adopt',
      copies: [copy(THIRD, 's1'), copy(OTHER, 'e1')],
      namesakes: [],
    });
  });

  it('a region listed later defers to the first one holding the value, whatever order the copies came in', () => {
    const s = shared(THIRD, {
      keys: [{ keyId: 's1', copies: [copy(OTHER, 'e1'), copy(HOME, 'h1')], namesakes: [] }],
    });
    expect(regionDecision(s, 's1')).toEqual({ kind: 'defer', to: copy(HOME, 'h1'), from: THIRD });
  });

  it('a region between them defers too; without the first, it is the home', () => {
    const withHome = shared(OTHER, {
      keys: [{ keyId: 'e1', copies: [copy(HOME, 'h1'), copy(THIRD, 's1')], namesakes: [] }],
    });
    expect(regionDecision(withHome, 'e1')).toMatchObject({ kind: 'defer', to: { region: HOME } });
    const without = shared(OTHER, { keys: [{ keyId: 'e1', copies: [copy(THIRD, 's1')], namesakes: [] }] });
    expect(regionDecision(without, 'e1')).toMatchObject({ kind: 'adopt', copies: [copy(THIRD, 's1')] });
  });

  it('no copy, or nothing read: adopted alone, as before', () => {
    expect(regionDecision(shared(OTHER), 'e1')).toEqual({ kind: 'adopt', copies: [], namesakes: [] });
    expect(regionDecision(undefined, 'e1')).toEqual({ kind: 'adopt', copies: [], namesakes: [] });
  });

  it('a region that could not be read holds every adoption', () => {
    expect(regionDecision(shared(HOME, { unread: [THIRD] }), 'h1')).toEqual({
      kind: 'wait',
      unread: [THIRD],
    });
  });
});

describe('the plan of a stack with unmanaged.action adopt', () => {
  const partner = { ...key({ id: 'h1' }), name: 'partner-app' };
  /** The stack of `region` (order us-east-1, eu-west-1) with its key h1 and what the other region holds. */
  const seen = (region: string, keys: KeyCopies[], unread: string[] = []): Inventory => ({
    ...inventory([partner], []),
    sharedValues: { region, order: [HOME, OTHER], unread, keys },
  });
  /** eu-west-1's stack, its key h1 holding the value of us-east-1's x7. */
  const deferring = seen(OTHER, [
    { keyId: 'h1', copies: [{ region: HOME, keyId: 'x7', name: 'partner-app' }], namesakes: [] },
  ]);

  it('home: one adopt-key action with the copies of every other region, and the finding names them', () => {
    const result = plan(
      seen(HOME, [
        { keyId: 'h1', copies: [{ region: OTHER, keyId: 'e1', name: 'partner-app' }], namesakes: [] },
      ]),
      adopt,
      at(10),
    );
    expect(result.actions).toEqual([
      expect.objectContaining({
        kind: 'adopt-key',
        keyId: 'h1',
        credential: 'partner-app',
        regions: [{ region: OTHER, keyId: 'e1' }],
      }),
    ]);
    expect(result.findings).toEqual([
      expect.objectContaining({ kind: 'unmanaged', keyId: 'h1', action: 'adopt' }),
    ]);
    expect(result.findings[0]!.message).toContain('e1 in eu-west-1');
  });

  it('another region: no action, one informational adoption-deferred finding naming the home region', () => {
    const result = plan(deferring, adopt, at(10));
    expect(result.actions).toEqual([]);
    expect(result.findings).toEqual([
      {
        kind: 'adoption-deferred',
        keyId: 'h1',
        action: 'report',
        message:
          "key h1 (partner-app) has the value of key x7 in us-east-1, which comes before eu-west-1 in replicaRegions: the keyrot stack of us-east-1 adopts both as one credential, this region's stack does not",
      },
    ]);
    // Still an unmanaged key in this region's figures.
    expect(result.stats.checks.unmanaged).toBe(1);
  });

  it('same name, another value: adopted alone, with a region-namesake finding', () => {
    const result = plan(
      seen(HOME, [
        { keyId: 'h1', copies: [], namesakes: [{ region: OTHER, keyId: 'e2', name: 'partner-app' }] },
      ]),
      adopt,
      at(10),
    );
    expect(result.actions).toEqual([expect.objectContaining({ kind: 'adopt-key', keyId: 'h1' })]);
    expect(result.actions[0]).not.toHaveProperty('regions');
    expect(result.findings).toEqual([expect.objectContaining({ kind: 'region-namesake', action: 'adopt' })]);
  });

  it('a region unread: nothing adopted this run, the finding says why', () => {
    const result = plan(seen(HOME, [], [OTHER]), adopt, at(10));
    expect(result.actions).toEqual([]);
    expect(result.findings).toEqual([
      expect.objectContaining({ kind: 'unmanaged', keyId: 'h1', action: 'wait' }),
    ]);
    expect(result.findings[0]!.message).toContain('eu-west-1 could not be read');
  });

  it('unmanaged.action report: only reported, whatever the other regions hold', () => {
    const reportOnly = parseConfig({ staggerPercent: 0 });
    const result = plan(deferring, reportOnly, at(10));
    expect(result.actions).toEqual([]);
    expect(result.findings.map((f) => [f.kind, f.action])).toEqual([['unmanaged', 'report']]);
  });

  it('an adoption a crash left half done is finished under the credential its secret was made for', () => {
    const half = secret(
      'partner-app',
      { v1: ['AWSCURRENT'] },
      {
        tags: { 'rotation:credential': 'partner-app', 'rotation:adopted-key': 'h1' },
        rotationEnabled: false,
      },
    );
    const result = plan({ ...inventory([partner], []), secrets: [half] }, adopt, at(10));
    expect(result.actions).toEqual([
      expect.objectContaining({ kind: 'adopt-key', keyId: 'h1', credential: 'partner-app' }),
    ]);
  });

  it("a secret outside secretPrefix naming the key is not keyrot's half-done adoption: the key is adopted as usual", () => {
    const foreign = {
      ...secret('x', { v1: ['AWSCURRENT'] }, { tags: { 'rotation:adopted-key': 'h1' } }),
      name: 'team-b/partner-app',
    };
    const usual = plan(inventory([partner], []), adopt, at(10));
    const result = plan({ ...inventory([partner], []), secrets: [foreign] }, adopt, at(10));
    expect(usual.actions).toEqual([expect.objectContaining({ kind: 'adopt-key', keyId: 'h1' })]);
    expect(result.actions).toEqual(usual.actions);
  });
});
