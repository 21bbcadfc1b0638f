import { createInterface } from 'node:readline/promises';
import { InputError } from '../functions/commons/errors.js';

/** The engineer said no: nothing was written (exit 1, as Terraform's cancelled apply). */
export class CancelledError extends Error {}

/**
 * A destructive step goes ahead with --yes, or when the engineer answers yes on the terminal. With no
 * terminal to ask on, --yes is required (bad input, exit 2); a "no" cancels (exit 1).
 */
export async function confirmed(
  confirm: ((question: string) => Promise<boolean>) | undefined,
  yes: boolean | undefined,
  what: string,
): Promise<void> {
  if (yes === true) return;
  if (confirm === undefined)
    throw new InputError(`${what}: add --yes to confirm (there is no terminal to ask on)`);
  if (!(await confirm(`${what}. Go ahead? [y/N] `))) throw new CancelledError(`cancelled: ${what}`);
}

/** Asks on the terminal (stdin and stderr both one): only "y" or "yes" goes ahead. */
export async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
