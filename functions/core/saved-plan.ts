/**
 * A plan saved for a later apply (keyrot plan --out, keyrot apply FILE), the pure part: what the file
 * holds, and whether the account still plans the same actions. Only ids, versions and reasons: a plan
 * holds no key value, since the planner never reads one.
 */
import type { Action, Inventory } from './types.js';

export const SAVED_PLAN_SCHEMA = 'keyrot/saved-plan@1';

export interface SavedPlan {
  schema: typeof SAVED_PLAN_SCHEMA;
  /** When it was planned (the run's now). */
  plannedAt: string;
  runId: string;
  /** The account and region its secrets are in ("123456789012/us-east-1"); null with no secret. */
  account: string | null;
  actions: Action[];
}

/** "account/region" from the secrets' ARNs: the account a plan was made in. */
export function accountOf(inventory: Inventory): string | null {
  const arn = inventory.secrets[0]?.arn;
  const parts = arn?.split(':');
  return parts === undefined || parts.length < 5 ? null : `${parts[4]}/${parts[3]}`;
}

/** JSON with sorted keys: two equal actions always give the same text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** What an action does, without why (its reason names ages and dates that move with the clock). */
function identity(action: Action): string {
  const { reason: _reason, ...what } = action;
  return canonical(what);
}

export interface PlanDrift {
  /** Saved, but the account no longer plans them. */
  gone: Action[];
  /** Planned now, and not in the saved plan. */
  added: Action[];
}

/** How the actions the account plans now differ from the saved ones; both empty: the plan still holds. */
export function planDrift(saved: Action[], now: Action[]): PlanDrift {
  const nowIds = new Set(now.map(identity));
  const savedIds = new Set(saved.map(identity));
  return {
    gone: saved.filter((a) => !nowIds.has(identity(a))),
    added: now.filter((a) => !savedIds.has(identity(a))),
  };
}
