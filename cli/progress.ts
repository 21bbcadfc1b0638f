import type { Action } from '../functions/core/types.js';

/** How often progress is printed when stderr is not a terminal (a CI log): a plain line at a time. */
export const PLAIN_PROGRESS_EVERY_MS = 10_000;

/**
 * Progress of a long run on stderr: on a terminal, one line rewritten in place; elsewhere (CI logs,
 * files) a plain line for the first action and then at most every ten seconds, so a log shows the
 * run moving without a line per action.
 */
export function progressPrinter(
  stderr: (text: string) => void,
  terminal: boolean,
  clock: () => number = Date.now,
): { onProgress: (done: number, total: number, action: Action) => void; end: () => void } {
  let printed = false;
  let last = -Infinity;
  return {
    onProgress(done, total, action) {
      const line = `[${done + 1}/${total}] ${action.kind} ${action.credential ?? ''}`.trimEnd();
      if (terminal) {
        stderr(`\r${line.padEnd(60)}`);
        printed = true;
        return;
      }
      const now = clock();
      if (now - last < PLAIN_PROGRESS_EVERY_MS) return;
      last = now;
      stderr(`${line}\n`);
    },
    end() {
      if (terminal && printed) stderr('\n');
    },
  };
}
