import type { SdkPlugin } from '../../functions/commons/clients.js';
import type { RunResult } from '../../functions/reconcile/run.js';
import { writeReportFiles } from '../../functions/report/files.js';
import type { CommonOptions } from '../session.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** SDK plugins for every client (tests: emulator account, fault injection). */
  plugins?: SdkPlugin[];
  /** stderr is a terminal: show progress of long runs there. */
  progress?: boolean;
  /** Asks a yes/no question on the terminal; absent when there is none to ask on (CI, a pipe). */
  confirm?: (question: string) => Promise<boolean>;
}

/** Exit codes, as the README lists them. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** What a verb works with: the terminal, and the exit code it may raise. */
export interface VerbContext {
  io: CliIo;
  /** Sets the exit code (the highest asked for wins: a failure is not hidden by a later success). */
  exit: (code: number) => void;
}

export async function saveReport(io: CliIo, options: CommonOptions, result: RunResult): Promise<void> {
  if (options.reportDir === undefined) return;
  const paths = await writeReportFiles(options.reportDir, result.report);
  io.stderr(`report: ${paths.html}\n        ${paths.csv}\n        ${paths.json}\n`);
}

export function print(io: CliIo, options: CommonOptions, json: unknown, text: string): void {
  io.stdout(`${options.json ? JSON.stringify(json, null, 2) : text}\n`);
}

/** What a verb that applies one action (onboard, add-region) says about it. */
export interface OneActionTexts {
  /** "onboarding acme": the subject of "… failed". */
  doing: string;
  /** The command that finishes what a failed attempt wrote. */
  again: string;
  /** The dry run's line before the action's reason, e.g. "would onboard". */
  would: string;
  /** The line when it is done. */
  done: string;
}

/**
 * Prints the outcome of a verb's one action: a failure names the error and the command that finishes
 * it (exit 1), a dry run the action's reason, otherwise what was done.
 */
export function printOneAction(
  { io, exit }: VerbContext,
  options: CommonOptions,
  result: RunResult,
  summary: Record<string, unknown>,
  texts: OneActionTexts,
): void {
  const outcome = result.outcomes[0];
  const json = { ...summary, ...(outcome?.error !== undefined && { error: outcome.error }) };
  if (outcome?.status === 'failed') {
    exit(EXIT.failed);
    print(
      io,
      options,
      json,
      `${texts.doing} failed: ${outcome.error?.name ?? 'Error'}: ${outcome.error?.message ?? ''}\nrun the same ${texts.again} command again: it finishes what was written`,
    );
    return;
  }
  const action = result.plan.actions[0];
  print(io, options, json, result.dryRun ? `${texts.would}: ${action?.reason ?? ''}` : texts.done);
}
