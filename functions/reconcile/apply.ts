import type { Logger } from '@aws-lambda-powertools/logger';
import { DeferredError, errorMessage, errorName, RotationStartedError } from '../commons/errors.js';
import type { Action, ActionKind, Outcome } from '../core/types.js';

export type { Outcome };

export type Effects = { [K in ActionKind]: (action: Extract<Action, { kind: K }>) => Promise<string | void> };

/** Creations first, so consumers have a new key before any old one is switched off. */
const ORDER: ActionKind[] = [
  // keyrot onboard, add-region, rollback, suspend and resume: each alone in its run.
  'onboard',
  'add-region',
  'rollback',
  'suspend',
  'resume',
  'end-suspension',
  // Before rotate: the rotation's setSecret adds its key to the record this writes.
  'record-ownership',
  'record-rotation',
  'resume-rotation',
  'rotate',
  'configure-rotation',
  'grant-consumers',
  'adopt-key',
  'attach-key',
  // Before disable-key: a re-enabled key may be both forgotten and disabled again in one run.
  'forget-disabled',
  'record-disabled',
  'disable-key',
  'delete-key',
];

export function orderActions(actions: Action[]): Action[] {
  return [...actions].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}

/** Rotations started by a run: each one may keep a rotation function container busy until it ends. */
const ROTATIONS: ReadonlySet<ActionKind> = new Set(['rotate', 'resume-rotation']);

export interface Concurrency {
  /** Actions of one phase at once. */
  actions: number;
  /** Rotations at once (rotate, resume-rotation): config.pacing.rotationsInFlight. */
  rotations: number;
}

/**
 * Carries out a plan without second-guessing it; one failed action does not stop the others. Phases
 * run in order (creations before retirements); inside a phase up to `concurrency.actions` actions run
 * at once (`concurrency.rotations` for rotations), and the pacer keeps their calls under the quotas.
 */
export async function apply(
  actions: Action[],
  effects: Effects,
  log: Logger,
  onProgress?: (done: number, total: number, action: Action) => void,
  shouldStop?: () => boolean,
  concurrency: Concurrency = { actions: 1, rotations: 1 },
): Promise<Outcome[]> {
  const ordered = orderActions(actions);
  const outcomes: Outcome[] = new Array<Outcome>(ordered.length);
  let started = 0;
  const runOne = async (index: number): Promise<void> => {
    const action = ordered[index]!;
    if (shouldStop?.() === true) {
      outcomes[index] = { action, status: 'deferred' };
      return;
    }
    onProgress?.(started++, ordered.length, action);
    try {
      const effect = effects[action.kind] as (a: Action) => Promise<string | void>;
      const detail = await effect(action);
      outcomes[index] = { action, status: 'done', detail: detail ?? undefined };
      log.info('action done', { kind: action.kind, credential: action.credential, reason: action.reason });
    } catch (error) {
      if (error instanceof RotationStartedError) {
        outcomes[index] = { action, status: 'started', detail: error.message };
        log.info('rotation started, not finished yet', {
          credential: action.credential,
          reason: error.message,
        });
        return;
      }
      if (error instanceof DeferredError) {
        outcomes[index] = { action, status: 'deferred', detail: error.message };
        log.info('action deferred', {
          kind: action.kind,
          credential: action.credential,
          reason: error.message,
        });
        return;
      }
      const failure = { name: errorName(error), message: errorMessage(error) };
      outcomes[index] = { action, status: 'failed', error: failure };
      log.error('action failed', { kind: action.kind, credential: action.credential, error: failure });
    }
  };
  for (const kind of ORDER) {
    const indexes = ordered.map((a, i) => (a.kind === kind ? i : -1)).filter((i) => i >= 0);
    let next = 0;
    const worker = async () => {
      while (next < indexes.length) await runOne(indexes[next++]!);
    };
    const width = ROTATIONS.has(kind) ? concurrency.rotations : concurrency.actions;
    await Promise.all(Array.from({ length: Math.max(1, Math.min(width, indexes.length)) }, worker));
  }
  return outcomes;
}
