import type * as z from 'zod';
import type { Action, FindingDetail, Inventory, ObservedKey, UsageWindow } from '../types.js';
import type { ManagedKey } from '../credentials.js';
import type { SharedValues } from '../region-adoption.js';

/** A finding a check raises: one of the kinds it declares. */
export type CheckFinding<Kind extends string> = FindingDetail & { kind: Kind };

/** What a check says of one key: a finding, and the action the run takes about it, if any. */
export interface Verdict<Kind extends string> {
  finding: CheckFinding<Kind>;
  action?: Action | undefined;
}

/** What every check may read besides the key: the run's time and the settings shared by all checks. */
export interface CheckContext {
  now: Date;
  tagPrefix: string;
  secretPrefix: string;
  defaultPolicy: string;
  /** The default policy's disable window: how long a key stays disabled before it is deleted. */
  windowDays: number;
  /** Requests per key over the hygiene window; absent when usage was not read. */
  usage: UsageWindow | undefined;
  /** Requests of each home key's twins in the other regions of its credential over the window. */
  requestsElsewhere: Map<string, number>;
  /** Credential names in use, with those this run adopts: an adopted key gets a free one. */
  taken: Set<string>;
  /** An earlier check disabled this key in this run: one disable per key. */
  disabled: boolean;
  /** The other regions' copies of unmanaged keys' values; absent: not read (core/region-adoption.ts). */
  sharedValues?: SharedValues | undefined;
  /** Keys whose adoption a crash left half done, with the credential their secret was made for. */
  unfinished?: ReadonlyMap<string, string> | undefined;
}

/**
 * One hygiene or posture check: its settings (config `hygiene.<name>`), the finding kinds it raises,
 * which keys it looks at, and how its count is shown. The plan, config schema, exemption tags, metrics,
 * report totals, HTML summary and dashboard are derived from the registry (checks/registry.ts).
 */
export interface Check<
  Name extends string,
  Settings extends z.ZodType,
  Kind extends string,
  Exemptible extends boolean = boolean,
  Total extends string = string,
> {
  name: Name;
  /** Its settings under `hygiene.<name>`; an `action` of `ignore` turns it off. */
  settings: Settings;
  kinds: readonly Kind[];
  /** A key's exemption tag may name it (`<prefix>:exempt`). */
  exemptible: Exemptible;
  /**
   * The number of keys it found this run, published as `metric`, shown as report total `total` with
   * `label` in the HTML summary. Absent: its findings count only towards `Findings`.
   */
  count?: { metric: string; total?: Total; label?: string } | undefined;
  /** A key without a credential tag. */
  unmanagedKey?(key: ObservedKey, settings: z.infer<Settings>, ctx: CheckContext): Verdict<Kind> | undefined;
  /** The current key of a managed credential; `overdueSince` when it is past period plus grace. */
  currentKey?(
    key: ManagedKey,
    settings: z.infer<Settings>,
    ctx: CheckContext,
    overdueSince: Date | undefined,
  ): Verdict<Kind> | undefined;
  /** The account as a whole: plans, APIs, every key. */
  account?(inventory: Inventory, settings: z.infer<Settings>, ctx: CheckContext): CheckFinding<Kind>[];
}

// The registry holds checks of every settings type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCheck = Check<string, any, string>;

/** Declares a check, keeping its name, settings and kinds as literal types for the registry. */
export function defineCheck<
  const Name extends string,
  Settings extends z.ZodType,
  const Kind extends string,
  const Exemptible extends boolean,
  const Total extends string = never,
>(check: Check<Name, Settings, Kind, Exemptible, Total>): Check<Name, Settings, Kind, Exemptible, Total> {
  return check;
}

/** No request over the whole window, and the key is older than the window. */
export function isUnused(key: ObservedKey, ctx: CheckContext, days: number, createdAt?: Date): boolean {
  if (ctx.usage === undefined) return false;
  const created = createdAt ?? key.createdDate;
  if (created === undefined) return false;
  const age = (ctx.now.getTime() - created.getTime()) / 86_400_000;
  return age >= days && (ctx.usage.requests[key.id] ?? 0) === 0;
}

/** An unmanaged key's finding: with `disable`, the run disables the key (once per key); else a report. */
export function disableOrReport<Kind extends string>(
  kind: Kind,
  key: ObservedKey,
  action: string,
  ctx: CheckContext,
  message: string,
): Verdict<Kind> {
  const disables = action === 'disable' && !ctx.disabled;
  return {
    finding: { kind, keyId: key.id, action: disables ? 'disable' : 'report', message },
    action: disables
      ? { kind: 'disable-key', credential: undefined, keyId: key.id, reason: message }
      : undefined,
  };
}

/** A credential's current key: only ever reported, whatever the check's action. */
export function reportCurrent<Kind extends string>(kind: Kind, key: ManagedKey, what: string): Verdict<Kind> {
  return {
    finding: {
      kind,
      credential: key.credential,
      keyId: key.key.id,
      action: 'report',
      message: `credential ${key.credential}: current key ${key.key.id} ${what}; a managed credential is retired by deleting its secret, never by a hygiene action`,
    },
  };
}

/** The shared action setting of checks that may disable what they find. */
export const ACTION = ['report', 'disable', 'ignore'] as const;
