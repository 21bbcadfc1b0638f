import type { Command } from 'commander';
import { reconcile } from '../../functions/reconcile/run.js';
import { confirmed } from '../confirm.js';
import { withCommonOptions, withNow, withReportDir, withRotation } from '../options.js';
import { runToJson, runToText, tally } from '../output.js';
import { progressPrinter } from '../progress.js';
import { readSavedPlan, savedActions, writeSavedPlan } from '../saved-plan.js';
import { session, type CommonOptions } from '../session.js';
import { EXIT, print, saveReport, type VerbContext } from './context.js';

/** plan and apply: the scheduled run, by hand; a plan saved to a file applies as reviewed or not at all. */
export function registerRunVerbs(program: Command, { io, exit }: VerbContext): void {
  withReportDir(
    withNow(
      withCommonOptions(program.command('plan').description('show what a run would do, and why (dry run)')),
    ),
  )
    .option('--out <file>', 'save the plan: keyrot apply <file> applies exactly it, or refuses')
    .option(
      '--detailed-exitcode',
      'exit 0 when there is nothing to do, 2 when changes are pending, 1 on error',
    )
    .action(async (options: CommonOptions & { out?: string; detailedExitcode?: boolean }) => {
      const s = await session(options, io);
      const result = await reconcile({ ...s, trigger: 'manual', dryRun: true });
      await saveReport(io, options, result);
      if (options.out !== undefined) {
        await writeSavedPlan(options.out, result);
        io.stderr(`plan saved: ${options.out} (keyrot apply ${options.out})\n`);
      }
      print(io, options, runToJson(result), runToText(result));
      if (options.detailedExitcode === true && result.plan.actions.length > 0) exit(2);
    });

  withReportDir(
    withRotation(
      withNow(
        withCommonOptions(
          program
            .command('apply')
            .description('run the reconciler: rotate, retire, report; with a plan file, exactly that plan')
            .argument(
              '[planfile]',
              'a plan saved by keyrot plan --out: applied only if the account still plans it',
            ),
        ),
      ),
    ),
  )
    .option('--yes', 'do not ask for confirmation on a terminal')
    .action(async (planFile: string | undefined, options: CommonOptions & { yes?: boolean }) => {
      const saved = planFile === undefined ? undefined : await readSavedPlan(planFile);
      const s = await session(options, io);
      const progress = progressPrinter(io.stderr, io.progress === true);
      const result = await reconcile({
        ...s,
        trigger: 'manual',
        onProgress: progress.onProgress,
        actions: async (plan, inventory) => {
          // A saved plan was reviewed: it runs as it is, or not at all.
          if (saved !== undefined) return savedActions(saved, planFile!, inventory, plan.actions);
          if (plan.actions.length > 0 && io.confirm !== undefined && options.yes !== true) {
            io.stdout(`${tally({ plan, dryRun: false })}\n`);
            for (const a of plan.actions) io.stdout(`  ${a.kind} ${a.credential ?? ''}: ${a.reason}\n`);
            await confirmed(io.confirm, false, `apply these ${plan.actions.length} action(s)`);
          }
          return plan.actions;
        },
      });
      progress.end();
      await saveReport(io, options, result);
      print(io, options, runToJson(result), runToText(result));
      if (result.outcomes.some((o) => o.status === 'failed')) exit(EXIT.failed);
    });
}
