import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../cli/progress.js';
import type { Action } from '../../functions/core/types.js';

const rotate = (i: number) => ({ kind: 'rotate', credential: `c${i}` }) as Action;

describe('progress of a long run', () => {
  it('in a log: the first action, then a plain line at most every ten seconds', () => {
    let now = 0;
    let printed = '';
    const p = progressPrinter(
      (t) => (printed += t),
      false,
      () => now,
    );
    for (let i = 0; i < 30; i++) {
      p.onProgress(i, 30, rotate(i));
      now += 1_000;
    }
    p.end();
    expect(printed).toBe('[1/30] rotate c0\n[11/30] rotate c10\n[21/30] rotate c20\n');
  });

  it('on a terminal: one line rewritten in place, ended by a newline', () => {
    let printed = '';
    const p = progressPrinter((t) => (printed += t), true);
    p.onProgress(0, 2, rotate(0));
    p.onProgress(1, 2, rotate(1));
    p.end();
    expect(printed.split('\r').map((l) => l.trimEnd())).toEqual(['', '[1/2] rotate c0', '[2/2] rotate c1']);
    expect(printed.endsWith('\n')).toBe(true);
  });
});
