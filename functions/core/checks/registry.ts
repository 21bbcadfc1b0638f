import * as z from 'zod';
import { lingering } from './lingering.js';
import { orphaned } from './orphaned.js';
import { overdue } from './overdue.js';
import { posture } from './posture.js';
import { quota } from './quota.js';
import { stageless } from './stageless.js';
import { unmanaged } from './unmanaged.js';
import { unused } from './unused.js';

/**
 * Every hygiene and posture check, in the order they look at a key. Adding a check: a file beside this
 * one and its line here; its settings, exemption name, finding kinds, metric, report total, HTML
 * summary and dashboard line follow from it. A check that may disable a key comes before `unmanaged`,
 * which leaves a key being disabled alone.
 */
export const CHECKS = [overdue, unused, orphaned, lingering, unmanaged, stageless, posture, quota] as const;

type Checks = (typeof CHECKS)[number];
export type CheckName = Checks['name'];
/** Every finding kind a check raises. */
export type CheckKind = Checks['kinds'][number];
/** Checks a key's exemption tag may name. */
export type ExemptibleCheck = Extract<Checks, { exemptible: true }>['name'];
/** Report totals the checks add (`count.total`). */
export type CheckTotal = NonNullable<NonNullable<Checks['count']>['total']>;

export const EXEMPTIBLE: readonly ExemptibleCheck[] = CHECKS.filter((c) => c.exemptible).map(
  (c) => c.name as ExemptibleCheck,
);

/** The config's `hygiene` section: each check's settings under its name. */
export const HygieneSchema = z
  .object(
    Object.fromEntries(CHECKS.map((c) => [c.name, c.settings])) as {
      [C in Checks as C['name']]: C['settings'];
    },
  )
  .strict();

/** Checks whose count is published and reported. */
export const COUNTED = CHECKS.flatMap((c) => (c.count === undefined ? [] : [{ name: c.name, ...c.count }]));
export type Counts = Record<CheckName, number>;
export const noCounts = (): Counts => Object.fromEntries(CHECKS.map((c) => [c.name, 0])) as Counts;
