import type { Command } from 'commander';
import { planResume, planSuspend } from '../../functions/oncall/suspension.js';
import { rotateMany } from '../../functions/oncall/rotate-many.js';
import { reconcile, type RunResult } from '../../functions/reconcile/run.js';
import { confirmed } from '../confirm.js';
import { withCommonOptions, withNow, withReportDir, withRotation } from '../options.js';
import { rotateManyText, runToJson } from '../output.js';
import { session, type CommonOptions } from '../session.js';
import { EXIT, print, saveReport, type VerbContext } from './context.js';

interface SuspendOptions extends CommonOptions {
  reason: string;
  dryRun?: boolean;
  yes?: boolean;
}

/** One line for a suspend or resume run: what it did, or why not. */
function outcomeText(result: RunResult, verb: string): string {
  const action = result.plan.actions[0];
  const outcome = result.outcomes[0];
  if (action === undefined) return `nothing to ${verb}`;
  if (result.dryRun) return `would ${verb} ${action.credential ?? ''}: ${action.reason}`;
  if (outcome?.status !== 'done')
    return `${verb} of ${action.credential ?? ''} ${outcome?.status ?? 'not run'}${outcome?.error ? `: ${outcome.error.name}: ${outcome.error.message}` : ''}\nrun the same command again: it finishes what was written`;
  return action.reason.replace(/^keyrot \w+: /, `${verb === 'suspend' ? 'suspended' : 'resumed'}: `);
}

/**
 * keyrot suspend and resume: a consumer cut off on purpose, and let back in. Planned purely and run
 * through the scheduled run's executor (dry run, events, metrics, report rows), like the other on-call
 * verbs.
 */
export function registerSuspensionVerbs(program: Command, { io, exit }: VerbContext): void {
  withReportDir(
    withNow(
      withCommonOptions(
        program
          .command('suspend')
          .description(
            "cut a credential's consumer off (unpaid, abusive, offboarded): its keys are disabled, and nothing rotates it or enables a key again (not the schedule, not Secrets Manager) until keyrot resume",
          )
          .argument('<credential>', 'the credential to suspend')
          .requiredOption('--reason <text>', 'why: recorded on the secret, shown in findings and reports')
          .option('--dry-run', 'show the suspension and change nothing')
          .option('--yes', 'do not ask for confirmation'),
      ),
    ),
  ).action(async (credential: string, options: SuspendOptions) => {
    const s = await session(options, io);
    const result = await reconcile({
      ...s,
      trigger: 'manual',
      dryRun: options.dryRun === true,
      actions: async (_plan, inventory) => {
        const action = planSuspend(inventory, s.config, { credential, reason: options.reason });
        if (options.dryRun !== true)
          await confirmed(
            io.confirm,
            options.yes,
            `suspend ${credential} disables ${action.disableKeyIds.length} key(s): its consumer gets 403 until keyrot resume ${credential}`,
          );
        return [action];
      },
    });
    await saveReport(io, options, result);
    if (result.outcomes[0]?.status === 'failed') exit(EXIT.failed);
    print(io, options, runToJson(result), outcomeText(result, 'suspend'));
  });

  withReportDir(
    withRotation(
      withNow(
        withCommonOptions(
          program
            .command('resume')
            .description(
              'let a suspended credential (or one whose current key was disabled by hand) back in: its current key is enabled again, or, past its policy period, the credential is rotated',
            )
            .argument('<credential>', 'the credential to resume')
            .option('--dry-run', 'show what resuming does and change nothing'),
        ),
        true,
      ),
    ),
  ).action(async (credential: string, options: CommonOptions & { dryRun?: boolean }) => {
    const s = await session(options, io);
    let rotate: string | undefined;
    const result = await reconcile({
      ...s,
      trigger: 'manual',
      dryRun: options.dryRun === true,
      actions: (_plan, inventory) => {
        const planned = planResume(inventory, s.config, { credential, now: s.now });
        if ('rotate' in planned) {
          rotate = planned.rotate;
          return [];
        }
        return [planned];
      },
    });
    if (rotate === undefined) {
      await saveReport(io, options, result);
      if (result.outcomes[0]?.status === 'failed') exit(EXIT.failed);
      print(io, options, runToJson(result), outcomeText(result, 'resume'));
      return;
    }
    // Past its period: a fresh key, never the stale one back (an operator's rotation ends the suspension).
    const rotated = await rotateMany(s, {
      selector: { names: [credential] },
      dryRun: options.dryRun === true,
      onRun: (run) => saveReport(io, options, run),
    });
    if (!rotated.dryRun && (rotated.failed.length > 0 || rotated.remaining.length > 0)) exit(EXIT.failed);
    const done = rotated.rotations[0];
    const text =
      rotated.dryRun || done === undefined
        ? `${rotate}\n${rotateManyText(rotated)}`
        : `resumed ${credential} by rotating it: ${rotate}; version ${done.version} is current, its key enabled in every plan`;
    print(io, options, { resumedBy: 'rotation', why: rotate, ...rotated }, text);
  });
}
