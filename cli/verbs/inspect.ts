import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../functions/commons/errors.js';
import { listRunReports } from '../../functions/aws/report-bucket.js';
import { buildPeriodReport } from '../../functions/core/period-report.js';
import type { RunReport } from '../../functions/core/report.js';
import { reconcile } from '../../functions/reconcile/run.js';
import { readLocalRunReports, writePeriodReport } from '../../functions/report/local-reports.js';
import { withCommonOptions, withNow } from '../options.js';
import { periodText, statusText } from '../output.js';
import { parseDay } from '../parse.js';
import { session, type CommonOptions } from '../session.js';
import { print, type VerbContext } from './context.js';

/** status and report: read-only views of the account and of its stored run reports. */
export function registerInspectVerbs(program: Command, { io }: VerbContext): void {
  withNow(
    withCommonOptions(
      program
        .command('status')
        .description('every key of one credential (or all), with state, age and next rotation')
        .argument('[credential]', 'only this credential'),
    ),
  ).action(async (credential: string | undefined, options: CommonOptions) => {
    const s = await session(options, io);
    const result = await reconcile({ ...s, trigger: 'manual', dryRun: true });
    const rows = result.report.keys.filter((k) => credential === undefined || k.credential === credential);
    if (credential !== undefined && rows.length === 0)
      throw new InputError(`credential ${JSON.stringify(credential)} not found`);
    const actions = result.plan.actions.filter(
      (a) => credential === undefined || a.credential === credential,
    );
    print(io, options, { keys: rows, planned: actions }, statusText(rows, actions, s.now));
  });

  withCommonOptions(
    program
      .command('report')
      .description('the audit view of a period, from the stored run reports')
      .requiredOption('--from <date>', 'first day (YYYY-MM-DD)')
      .requiredOption('--to <date>', 'last day (YYYY-MM-DD), inclusive')
      .option('--bucket <name>', 'read run reports from this S3 bucket (runs/YYYY/MM/DD/)')
      .option('--reports <dir>', 'read run reports from this local folder (as written by --report-dir)')
      .option('--report-dir <dir>', 'also write the period report (JSON, CSV, HTML) to this folder'),
  ).action(
    async (options: CommonOptions & { from: string; to: string; bucket?: string; reports?: string }) => {
      const from = parseDay(options.from, '--from');
      const to = new Date(parseDay(options.to, '--to').getTime() + 86_400_000 - 1);
      if (to < from) throw new InputError('--to is before --from');
      if ((options.bucket === undefined) === (options.reports === undefined)) {
        throw new InputError('give exactly one of --bucket <name> or --reports <dir>');
      }
      let runs: RunReport[];
      if (
        options.reports !== undefined &&
        !statSync(options.reports, { throwIfNoEntry: false })?.isDirectory()
      ) {
        throw new InputError(`--reports ${options.reports} is not a folder (write one with --report-dir)`);
      }
      if (options.reports !== undefined) runs = await readLocalRunReports(options.reports);
      else runs = await listRunReports((await session(options, io)).clients.s3, options.bucket!, from, to);
      const period = buildPeriodReport(runs, from, to);
      if (options.reportDir !== undefined) {
        const paths = await writePeriodReport(options.reportDir, period);
        io.stderr(
          `period report: ${paths.html}\n               ${paths.csv}\n               ${paths.json}\n`,
        );
      }
      print(io, options, period, periodText(period));
    },
  );
}
