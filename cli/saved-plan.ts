import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '../functions/commons/errors.js';
import { accountOf, planDrift, SAVED_PLAN_SCHEMA, type SavedPlan } from '../functions/core/saved-plan.js';
import type { Action, Inventory } from '../functions/core/types.js';
import type { RunResult } from '../functions/reconcile/run.js';

/** The account changed since the plan was saved: plan again (exit 1, as Terraform's stale plan). */
export class StalePlanError extends Error {}

export async function writeSavedPlan(path: string, result: RunResult): Promise<void> {
  const saved: SavedPlan = {
    schema: SAVED_PLAN_SCHEMA,
    plannedAt: result.now.toISOString(),
    runId: result.runId,
    account: accountOf(result.inventory),
    actions: result.plan.actions,
  };
  await writeFile(path, `${JSON.stringify(saved, null, 2)}\n`);
}

export async function readSavedPlan(path: string): Promise<SavedPlan> {
  let parsed: Partial<SavedPlan>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<SavedPlan>;
  } catch (error) {
    throw new InputError(`plan file ${path} cannot be read: ${(error as Error).message}`);
  }
  if (parsed.schema !== SAVED_PLAN_SCHEMA || !Array.isArray(parsed.actions)) {
    throw new InputError(`${path} is not a keyrot plan file (write one with keyrot plan --out ${path})`);
  }
  return parsed as SavedPlan;
}

const line = (a: Action) => `${a.kind} ${a.credential ?? ''} ${'keyId' in a ? (a.keyId ?? '') : ''}`.trim();

/**
 * The saved actions, if the account still plans exactly them; else why not. What the engineer
 * reviewed is what runs, or nothing does.
 */
export function savedActions(
  saved: SavedPlan,
  path: string,
  inventory: Inventory,
  planned: Action[],
): Action[] {
  const account = accountOf(inventory);
  if (saved.account !== null && account !== null && saved.account !== account) {
    throw new StalePlanError(
      `plan ${path} was made for account/region ${saved.account}, not ${account}; run keyrot plan --out ${path} against this one`,
    );
  }
  const drift = planDrift(saved.actions, planned);
  if (drift.gone.length > 0 || drift.added.length > 0) {
    const parts = [
      ...drift.gone.slice(0, 5).map((a) => `no longer planned: ${line(a)}`),
      ...drift.added.slice(0, 5).map((a) => `now also planned: ${line(a)}`),
    ];
    throw new StalePlanError(
      `the account changed since plan ${path} was saved (${saved.plannedAt}): ${parts.join('; ')}${drift.gone.length + drift.added.length > 10 ? '; ...' : ''}. Nothing was applied; run keyrot plan --out ${path} again and review it`,
    );
  }
  return saved.actions;
}
