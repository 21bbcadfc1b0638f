import { describe, expect, it } from 'vitest';
import { planRegionalRetirement } from '../../functions/core/regional-retirement.js';
import type { Action } from '../../functions/core/types.js';
import { config, inventory, key, secret } from './fixtures.js';

const CUR = ['AWSCURRENT'];
const PREV = ['AWSPREVIOUS'];
const PENDING = ['AWSPENDING'];

/** Credential c rotated once at home: k1 (v1) superseded by k2 (v2). */
const home = (
  old: Partial<Parameters<typeof key>[0]> = {},
  versions: Record<string, string[]> = { v1: PREV, v2: CUR },
) =>
  inventory(
    [
      key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', ...old }),
      key({ id: 'k2', credential: 'c', generation: 2, version: 'v2' }),
    ],
    [secret('c', versions)],
  );
/** The same credential's keys in eu-west-1: e1 (v1) and e2 (v2). */
const eu = (e1: Partial<Parameters<typeof key>[0]> = {}, extra: ReturnType<typeof key>[] = []) => [
  {
    region: 'eu-west-1',
    keys: [
      key({ id: 'e1', credential: 'c', generation: 1, version: 'v1', ...e1 }),
      key({ id: 'e2', credential: 'c', generation: 2, version: 'v2' }),
      ...extra,
    ],
  },
];
const planned = (actions: Action[]) => actions.map((a) => `${a.kind} ${'keyId' in a ? a.keyId : ''}`);

describe('a multi-region credential’s keys elsewhere retire with their home twins', () => {
  it('nothing while the home twin is in its grace', () => {
    expect(planRegionalRetirement(home(), [], eu(), config)).toEqual([]);
  });

  it('disabled in the run that disables the home twin, with the region named', () => {
    const homeActions: Action[] = [
      { kind: 'disable-key', credential: 'c', keyId: 'k1', reason: 'grace ended' },
    ];
    const actions = planRegionalRetirement(home(), homeActions, eu(), config);
    expect(actions).toMatchObject([
      { kind: 'disable-key', keyId: 'e1', region: 'eu-west-1', credential: 'c' },
    ]);
    expect(actions[0]?.reason).toMatch(/e1 in eu-west-1 retires with its home twin k1/);
  });

  it('a revoked home twin (emergency) makes a revoked twin', () => {
    const homeActions: Action[] = [
      { kind: 'disable-key', credential: 'c', keyId: 'k1', revoke: true, reason: 'leaked' },
    ];
    expect(planRegionalRetirement(home(), homeActions, eu(), config)).toMatchObject([
      { kind: 'disable-key', keyId: 'e1', revoke: true },
    ]);
  });

  it('disabled when the home twin already is (a region unreadable in that run catches up)', () => {
    expect(
      planned(planRegionalRetirement(home({ enabled: false, disabledDay: 100 }), [], eu(), config)),
    ).toEqual(['disable-key e1']);
    // Already disabled there: nothing more until the home twin goes.
    expect(
      planRegionalRetirement(home({ enabled: false, disabledDay: 100 }), [], eu({ enabled: false }), config),
    ).toEqual([]);
  });

  it('deleted in the run that deletes the home twin, or once it is gone', () => {
    const homeActions: Action[] = [
      { kind: 'delete-key', credential: 'c', keyId: 'k1', reason: 'window ended' },
    ];
    const disabled = home({ enabled: false, disabledDay: 100 });
    expect(planned(planRegionalRetirement(disabled, homeActions, eu({ enabled: false }), config))).toEqual([
      'delete-key e1',
    ]);
    const gone = inventory(
      [key({ id: 'k2', credential: 'c', generation: 2, version: 'v2' })],
      [secret('c', { v2: CUR })],
    );
    expect(planned(planRegionalRetirement(gone, [], eu({ enabled: false }), config))).toEqual([
      'delete-key e1',
    ]);
  });

  it('never touches the current or pending version, nor a newer key whose twin the home read missed', () => {
    const currentDisabled = home({}, { v1: PREV, v2: CUR });
    const homeActions: Action[] = [{ kind: 'disable-key', credential: 'c', keyId: 'k2', reason: 'by hand' }];
    expect(planRegionalRetirement(currentDisabled, homeActions, eu(), config)).toEqual([]);
    const newer = key({ id: 'e3', credential: 'c', generation: 3, version: 'v3' });
    expect(planRegionalRetirement(home(), [], eu({}, [newer]), config)).toEqual([]);
    const pending = home({}, { v1: PREV, v2: CUR, v3: PENDING });
    expect(planRegionalRetirement(pending, [], eu({}, [newer]), config)).toEqual([]);
  });

  it('leaves keys of credentials this region does not own, and keys keyrot did not make', () => {
    const other = key({ id: 'x1', credential: 'elsewhere', generation: 1, version: 'w1' });
    const hand = key({ id: 'h1' });
    expect(planRegionalRetirement(home(), [], eu({}, [other, hand]), config)).toEqual([]);
  });
});
