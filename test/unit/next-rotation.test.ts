import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { plan } from '../../functions/core/plan.js';
import { buildRunReport } from '../../functions/core/report.js';
import { staggerDays } from '../../functions/core/time.js';
import type { Inventory } from '../../functions/core/types.js';
import { at, inventory, key, secret } from './fixtures.js';

// Staggering on (the default 20%): "acme" comes due 14 days early on a 90-day policy, 5 on 30 days.
const staggered = parseConfig({ staggerPercent: 20 });
const CUR = ['AWSCURRENT'];
const PREV = ['AWSPREVIOUS'];

/** acme onboarded on day 0, never rotated: its secret has no LastRotatedDate. */
const onboarded = (policy?: string) =>
  inventory(
    [key({ id: 'k1', credential: 'acme', generation: 1, version: 'v1', activatedDay: 0, policy })],
    [secret('acme', { v1: CUR })],
  );

/** acme rotated to generation 2 on day 90, rolled back to generation 1 on day 100. */
const rolledBackToFirst = () =>
  inventory(
    [
      key({ id: 'k1', credential: 'acme', generation: 1, version: 'v1', createdDay: 0, activatedDay: 100 }),
      key({ id: 'k2', credential: 'acme', generation: 2, version: 'v2', activatedDay: 90 }),
    ],
    [secret('acme', { v1: CUR, v2: PREV }, { lastRotatedDate: at(90) })],
  );

/** acme at generation 2 since day 90. */
const rotatedOnce = () =>
  inventory(
    [
      key({ id: 'k1', credential: 'acme', generation: 1, version: 'v1', activatedDay: 0 }),
      key({ id: 'k2', credential: 'acme', generation: 2, version: 'v2', activatedDay: 90 }),
    ],
    [secret('acme', { v1: PREV, v2: CUR }, { lastRotatedDate: at(90) })],
  );

/** The first day on which the planner rotates acme. */
function firstRotationDay(inv: Inventory): number | undefined {
  for (let day = 0; day <= 400; day++) {
    if (plan(inv, staggered, at(day)).actions.some((a) => a.kind === 'rotate')) return day;
  }
  return undefined;
}

/** What `keyrot status` shows for acme's active key on `day`. */
function statusNextRotation(inv: Inventory, day: number): string | null | undefined {
  const now = at(day);
  const report = buildRunReport({
    runId: 'status',
    trigger: 'manual',
    dryRun: true,
    now,
    config: staggered,
    before: inv,
    plan: plan(inv, staggered, now),
    outcomes: [],
    after: inv,
  });
  return report.keys.find((r) => r.state === 'active')?.nextRotationAt;
}

describe('staggering: only a credential never rotated comes due early', () => {
  it('the fixture credential is staggered by a visible number of days', () => {
    expect(staggerDays('acme', 18)).toBe(14);
    expect(staggerDays('acme', 6)).toBe(5);
  });

  it('never rotated (no LastRotatedDate): the first rotation comes 14 days early', () => {
    expect(firstRotationDay(onboarded())).toBe(76);
  });

  it('rolled back to generation 1: the next rotation is a full period after the rollback, not early', () => {
    const inv = rolledBackToFirst();
    expect(plan(inv, staggered, at(189)).actions.map((a) => a.kind)).not.toContain('rotate');
    expect(firstRotationDay(inv)).toBe(190);
  });

  it('a later generation keeps the full period', () => {
    expect(firstRotationDay(rotatedOnce())).toBe(180);
  });

  it('generation 1 of a secret that shows no LastRotatedDate is staggered; one that does is not', () => {
    const inv = onboarded();
    inv.secrets[0]!.lastRotatedDate = at(0);
    expect(firstRotationDay(inv)).toBe(90);
  });
});

describe('keyrot status shows the date keyrot plan rotates on', () => {
  it.each([
    { name: 'never rotated, 90d (staggered)', inv: onboarded(), due: 76 },
    { name: 'never rotated, 30d (staggered)', inv: onboarded('30d'), due: 25 },
    { name: 'rolled back to generation 1', inv: rolledBackToFirst(), due: 190 },
    { name: 'generation 2', inv: rotatedOnce(), due: 180 },
  ])('$name', ({ inv, due }) => {
    expect(firstRotationDay(inv)).toBe(due);
    expect(statusNextRotation(inv, due - 10)).toBe(at(due).toISOString());
    const rotate = plan(inv, staggered, at(due)).actions.find((a) => a.kind === 'rotate');
    expect(rotate?.reason).toContain(`(due ${at(due).toISOString().slice(0, 10)})`);
  });
});
