import type { Logger } from '@aws-lambda-powertools/logger';
import { DeferredError, errorMessage, errorName } from '../commons/errors.js';
import type { Action, ActionKind } from '../core/types.js';

export type Effects = { [K in ActionKind]: (action: Extract<Action, { kind: K }>) => Promise<string | void> };

export interface Outcome {
  action: Action;
  /** deferred: not started, the run stopped in time for its deadline; the next run does it. */
  status: 'done' | 'failed' | 'deferred';
  /** What the effect reported, such as the version a rotation moved to. */
  detail?: string | undefined;
  error?: { name: string; message: string } | undefined;
}

/** Creations first, so consumers have a new key before any old one is switched off. */
const ORDER: ActionKind[] = [
  'resume-rotation',
  'rotate',
  'configure-rotation',
  'adopt-key',
  'attach-key',
  'record-disabled',
  'disable-key',
  'delete-key',
];

export function orderActions(actions: Action[]): Action[] {
  return [...actions].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}

/** Carries out a plan without second-guessing it; one failed action does not stop the others. */
export async function apply(
  actions: Action[],
  effects: Effects,
  log: Logger,
  onProgress?: (done: number, total: number, action: Action) => void,
  shouldStop?: () => boolean,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const ordered = orderActions(actions);
  for (const action of ordered) {
    if (shouldStop?.() === true) {
      outcomes.push({ action, status: 'deferred' });
      continue;
    }
    onProgress?.(outcomes.length, ordered.length, action);
    try {
      const effect = effects[action.kind] as (a: Action) => Promise<string | void>;
      const detail = await effect(action);
      outcomes.push({ action, status: 'done', detail: detail ?? undefined });
      log.info('action done', { kind: action.kind, credential: action.credential, reason: action.reason });
    } catch (error) {
      if (error instanceof DeferredError) {
        outcomes.push({ action, status: 'deferred', detail: error.message });
        log.info('action deferred', {
          kind: action.kind,
          credential: action.credential,
          reason: error.message,
        });
        continue;
      }
      const failure = { name: errorName(error), message: errorMessage(error) };
      outcomes.push({ action, status: 'failed', error: failure });
      log.error('action failed', { kind: action.kind, credential: action.credential, error: failure });
    }
  }
  return outcomes;
}
