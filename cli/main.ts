import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createClients, type AwsClients, type SdkPlugin } from '../functions/commons/clients.js';
import { keyrotPacer, type Pacer } from '../functions/commons/pacing.js';
import { ConfigError, type Config } from '../functions/core/config.js';
import { InputError, errorMessage } from '../functions/commons/errors.js';
import { loadConfig } from '../functions/commons/load-config.js';
import { createLogger } from '../functions/commons/logger.js';
import { planOnboard } from '../functions/onboarding/onboard.js';
import { reconcile, type RunResult } from '../functions/reconcile/run.js';
import { writeReportFiles } from '../functions/report/files.js';
import { emulatorClock } from '../emulator/clock-client.js';
import { httpCanary } from '../functions/rotation/canary.js';
import {
  callerDrivesRotationPlugin,
  inProcessDriver,
  secretsManagerDriver,
  type RotationDriver,
} from '../functions/rotation/starter.js';
import { explainEnvironmentError } from './errors.js';
import { progressPrinter } from './progress.js';
import { periodText, rollbackText, rotateManyText, runToJson, runToText, statusText } from './output.js';
import { parseDay, parseDuration } from './parse.js';
import { rotateMany } from '../functions/oncall/rotate-many.js';
import { planRollback } from '../functions/oncall/rollback.js';
import { buildPeriodReport } from '../functions/core/period-report.js';
import type { RunReport } from '../functions/core/report.js';
import { listRunReports } from '../functions/aws/report-bucket.js';
import { readLocalRunReports, writePeriodReport } from '../functions/report/local-reports.js';

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

/**
 * A destructive step goes ahead with --yes, or when the engineer answers yes on the terminal. With no
 * terminal to ask on, --yes is required (bad input, exit 2); a "no" cancels (exit 1), as Terraform does.
 */
async function confirmed(io: CliIo, yes: boolean | undefined, what: string): Promise<void> {
  if (yes === true) return;
  if (io.confirm === undefined)
    throw new InputError(`${what}: add --yes to confirm (there is no terminal to ask on)`);
  if (!(await io.confirm(`${what}. Go ahead? [y/N] `))) throw new CancelledError(`cancelled: ${what}`);
}

class CancelledError extends Error {}

/** package.json's version: what `keyrot --version` prints. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

interface RotateOptions extends CommonOptions {
  grace?: string;
  all?: boolean;
  plan?: string[];
  policy?: string[];
  prefix?: string;
  dryRun?: boolean;
  yes?: boolean;
}

interface CommonOptions {
  region?: string;
  endpointUrl?: string;
  config?: string;
  now?: string | boolean;
  json?: boolean;
  rotation?: 'in-process' | 'secrets-manager';
  logLevel: string;
  reportDir?: string;
}

const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'];

function parseNow(value: string | boolean | undefined): Date {
  if (value === undefined || typeof value === 'boolean') return new Date();
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InputError(
      `--now ${JSON.stringify(value)} is not an ISO-8601 time such as 2026-01-31T00:00:00Z`,
    );
  }
  return date;
}

function isLoopback(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  } catch {
    throw new InputError(`--endpoint-url ${JSON.stringify(url)} is not a URL`);
  }
}

interface Session {
  clients: AwsClients;
  config: Config;
  now: Date;
  rotation: RotationDriver;
  log: ReturnType<typeof createLogger>;
  pacer: Pacer;
}

/**
 * Against the local emulator with a simulated clock (npm run emulator), the CLI and the emulator agree
 * on the time: --now moves the emulator's clock there (so the rotation function it runs reads the same
 * time), and without --now the CLI takes the emulator's time.
 */
async function agreeWithEmulatorClock(endpoint: string, now: Date | undefined): Promise<Date | undefined> {
  let clock: { now: Date; simulated: boolean };
  try {
    clock = await emulatorClock(endpoint, undefined);
  } catch {
    return now; // not keyrot's emulator, or no clock route: nothing to agree with
  }
  if (!clock.simulated) return now;
  if (now === undefined) return clock.now;
  await emulatorClock(endpoint, now);
  return now;
}

async function session(options: CommonOptions, io: CliIo): Promise<Session> {
  const config = await loadConfig(options.config);
  // The SDK's own variable (as `npm run emulator` suggests exporting) counts as --endpoint-url.
  const endpointUrl = options.endpointUrl ?? (process.env.AWS_ENDPOINT_URL || undefined);
  const local = endpointUrl !== undefined && isLoopback(endpointUrl);
  const requested = options.now === undefined || options.now === true ? undefined : parseNow(options.now);
  const now =
    (local ? await agreeWithEmulatorClock(endpointUrl, requested) : requested) ?? parseNow(options.now);
  const pacer = keyrotPacer(config.pacing);
  // On the emulator without a deployed rotation function, this process runs the rotation steps itself.
  const mode =
    options.rotation ?? (local && config.rotationLambdaArn === undefined ? 'in-process' : 'secrets-manager');
  const hasCredentials = process.env.AWS_ACCESS_KEY_ID !== undefined || process.env.AWS_PROFILE !== undefined;
  const clients = createClients({
    region:
      options.region ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION ??
      (local ? 'us-east-1' : undefined),
    endpoint: endpointUrl,
    // The emulator takes any credentials; don't make a user configure some for it.
    credentials:
      local && !hasCredentials ? { accessKeyId: 'keyrot-local', secretAccessKey: 'keyrot-local' } : undefined,
    plugins: [...(io.plugins ?? []), ...(mode === 'in-process' ? [callerDrivesRotationPlugin] : [])],
    pacer,
  });
  const log = createLogger({ sink: (line) => io.stderr(`${line}\n`), level: options.logLevel });
  const rotation =
    mode === 'in-process'
      ? inProcessDriver({
          apigw: clients.apigw,
          secrets: clients.secrets,
          config,
          now: () => now,
          log,
          canary: config.canaryUrl === undefined ? undefined : httpCanary(config.canaryUrl),
        })
      : secretsManagerDriver(clients.secrets, clients.lambda, config.rotationLambdaArn);
  return { clients, config, now, rotation, log, pacer };
}

function withCommonOptions(command: Command, nowFlag = false): Command {
  return command
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--endpoint-url <url>', 'AWS endpoint, such as the local emulator (npm run emulator)')
    .option('--config <file>', 'configuration file (JSON); default: built-in policies')
    .option(
      nowFlag ? '--now [time]' : '--now <time>',
      nowFlag
        ? 'act now (the default); with a time, a simulated clock for drills'
        : 'simulated clock for drills and tests (ISO-8601)',
    )
    .option('--json', 'machine-readable output on stdout')
    .addOption(
      new Option(
        '--rotation <mode>',
        'how rotations run: Secrets Manager invokes the rotation Lambda, or in-process (emulator)',
      ).choices(['in-process', 'secrets-manager']),
    )
    .addOption(
      new Option('--log-level <level>', `structured logs on stderr: ${LOG_LEVELS.join(', ')}`)
        .default('WARN')
        .argParser((value: string) => {
          const level = value.toUpperCase();
          if (!LOG_LEVELS.includes(level))
            throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}`);
          return level;
        }),
    )
    .option('--report-dir <dir>', 'also write the run report (JSON, CSV, HTML) to this folder');
}

async function saveReport(io: CliIo, options: CommonOptions, result: RunResult): Promise<void> {
  if (options.reportDir === undefined) return;
  const paths = await writeReportFiles(options.reportDir, result.report);
  io.stderr(`report: ${paths.html}\n        ${paths.csv}\n        ${paths.json}\n`);
}

function print(io: CliIo, options: CommonOptions, json: unknown, text: string): void {
  io.stdout(`${options.json ? JSON.stringify(json, null, 2) : text}\n`);
}

/** Runs the CLI and returns its exit code: 0 done, 1 some action failed, 2 bad input. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('keyrot')
    .description('Rotation and hygiene for Amazon API Gateway API keys')
    .version(VERSION, '--version', 'the keyrot version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  withCommonOptions(
    program.command('plan').description('show what a run would do, and why (dry run)'),
  ).action(async (options: CommonOptions) => {
    const s = await session(options, io);
    const result = await reconcile({ ...s, trigger: 'manual', dryRun: true });
    await saveReport(io, options, result);
    print(io, options, runToJson(result), runToText(result));
  });

  withCommonOptions(
    program.command('apply').description('run the reconciler: rotate, retire, report'),
  ).action(async (options: CommonOptions) => {
    const s = await session(options, io);
    const progress = progressPrinter(io.stderr, io.progress === true);
    const result = await reconcile({ ...s, trigger: 'manual', onProgress: progress.onProgress });
    progress.end();
    await saveReport(io, options, result);
    print(io, options, runToJson(result), runToText(result));
    if (result.outcomes.some((o) => o.status === 'failed')) exitCode = EXIT.failed;
  });

  withCommonOptions(
    program
      .command('onboard')
      .description('create a managed credential: its secret and a first key in the given usage plans')
      .argument('<credential>', 'the credential name (the secret is <secretPrefix><credential>)')
      .requiredOption('--plan <id...>', 'usage plan id(s) the key belongs to')
      .option('--policy <name>', 'rotation policy name (default: the configured default)')
      .option('--dry-run', 'check the inputs against the account and show the onboarding; change nothing'),
  ).action(
    async (
      credential: string,
      options: CommonOptions & { plan: string[]; policy?: string; dryRun?: boolean },
    ) => {
      const s = await session(options, io);
      // Every input is checked against the account before the first write; a half-done one is finished.
      const result = await reconcile({
        ...s,
        trigger: 'manual',
        dryRun: options.dryRun === true,
        actions: (_plan, inventory) => [
          planOnboard(inventory, s.config, {
            credential,
            usagePlanIds: options.plan,
            policy: options.policy,
            newVersion: randomUUID(),
          }),
        ],
      });
      await saveReport(io, options, result);
      const outcome = result.outcomes[0];
      const row = result.report.keys.find((k) => k.credential === credential && k.state === 'active');
      const action = result.plan.actions[0]!;
      const summary = {
        credential,
        dryRun: result.dryRun,
        status: outcome?.status ?? 'planned',
        keyId: row?.keyId ?? null,
        secretArn: row?.secretArn ?? null,
        version: row?.currentVersion ?? null,
        runId: result.runId,
        ...(outcome?.error !== undefined && { error: outcome.error }),
      };
      if (outcome?.status === 'failed') {
        exitCode = EXIT.failed;
        print(
          io,
          options,
          summary,
          `onboarding ${credential} failed: ${outcome.error?.name ?? 'Error'}: ${outcome.error?.message ?? ''}\nrun the same keyrot onboard command again: it finishes what was written`,
        );
        return;
      }
      print(
        io,
        options,
        summary,
        result.dryRun
          ? `would onboard: ${action.reason}`
          : `onboarded ${credential}: key ${summary.keyId ?? '?'}, secret ${summary.secretArn ?? '?'}`,
      );
    },
  );

  withCommonOptions(
    program
      .command('rotate')
      .description(
        'emergency rotation: one credential (a leaked key), or many (--all, --plan, --policy, --prefix: a leaked export, a compromised fleet); the old keys are revoked or get a shorter grace',
      )
      .argument('[credential]', 'the credential to rotate')
      .option('--all', 'every managed credential (the selectors below narrow it)')
      .option('--plan <id...>', 'credentials whose current key is in any of these usage plans')
      .option('--policy <name...>', 'credentials under any of these policies')
      .option('--prefix <text>', 'credentials whose name starts with this')
      .option('--dry-run', 'print how many would rotate and how long it takes at the quotas; change nothing')
      .option(
        '--grace <duration>',
        'grace for the old key: 0 revokes it at once; 30m, 12h, 3d (default: its policy)',
      )
      .option('--yes', 'do not ask for confirmation of --grace 0'),
    true,
  ).action(async (credential: string | undefined, options: RotateOptions) => {
    const graceMs = options.grace === undefined ? undefined : parseDuration(options.grace);
    const many =
      options.all === true ||
      options.plan !== undefined ||
      options.policy !== undefined ||
      options.prefix !== undefined;
    if (credential !== undefined && many)
      throw new InputError(
        'give a credential, or --all and selectors (--plan, --policy, --prefix), not both',
      );
    if (credential === undefined && !many)
      throw new InputError(
        'name the credential to rotate, or select many with --all, --plan, --policy or --prefix',
      );
    const s = await session(options, io);
    if (graceMs === 0 && options.dryRun !== true)
      await confirmed(
        io,
        options.yes,
        `rotate ${credential ?? 'the selected credentials'} --grace 0 disables the old key${credential === undefined ? 's' : ''} as soon as the new one is current: consumers still on ${credential === undefined ? 'them' : 'it'} get 403`,
      );
    // One credential or many: the request goes on each secret, and reconciler runs rotate them, so an
    // emergency rotation has the events, metrics and report of any run (trigger: emergency).
    const progress = progressPrinter(io.stderr, io.progress === true);
    const result = await rotateMany(s, {
      selector:
        credential === undefined
          ? { plans: options.plan, policies: options.policy, prefix: options.prefix }
          : { names: [credential] },
      graceMs,
      dryRun: options.dryRun === true,
      onProgress: progress.onProgress,
      onRun: (run) => saveReport(io, options, run),
    });
    progress.end();
    if (!result.dryRun && (result.failed.length > 0 || result.remaining.length > 0)) exitCode = EXIT.failed;
    if (credential === undefined || result.dryRun) {
      print(io, options, result, rotateManyText(result));
      return;
    }
    const done = result.rotations[0];
    const graceUntil = graceMs === undefined ? null : new Date(s.now.getTime() + graceMs).toISOString();
    const single = {
      credential,
      previousKeyId: done?.previousKeyId ?? null,
      version: done?.version ?? null,
      revoked: done !== undefined && graceMs === 0,
      graceUntil: graceMs === 0 ? null : graceUntil,
      failed: result.failed,
      remaining: result.remaining,
    };
    if (done === undefined) {
      print(io, options, single, rotateManyText(result));
      return;
    }
    const old = single.revoked
      ? `old key ${done.previousKeyId ?? '?'} disabled (revoked)`
      : `old key ${done.previousKeyId ?? '?'} works until ${graceUntil ?? 'the end of its policy grace'}`;
    print(io, options, single, `rotated ${credential}: version ${done.version} is current; ${old}`);
  });

  withCommonOptions(
    program
      .command('rollback')
      .description(
        'make the previous key current again (inside its disable window); a key revoked because it leaked only with --force',
      )
      .argument('<credential>', 'the credential to roll back')
      .option(
        '--force',
        'bring back a key that was revoked because it leaked (said so in the event and report)',
      )
      .option(
        '--pause <duration>',
        'pause the rotation for this long (such as 3d): the restored key keeps its age and may be due at once',
      )
      .option('--dry-run', 'show the rollback and change nothing')
      .option('--yes', 'do not ask for confirmation of --force'),
  ).action(
    async (
      credential: string,
      options: CommonOptions & { force?: boolean; pause?: string; dryRun?: boolean; yes?: boolean },
    ) => {
      const pauseMs = options.pause === undefined ? undefined : parseDuration(options.pause, '--pause');
      const s = await session(options, io);
      const input = {
        credential,
        force: options.force === true,
        pauseUntil: pauseMs === undefined ? undefined : new Date(s.now.getTime() + pauseMs),
        now: s.now,
      };
      const result = await reconcile({
        ...s,
        trigger: 'manual',
        dryRun: options.dryRun === true,
        actions: async (_plan, inventory) => {
          const action = planRollback(inventory, s.config, input);
          if (action.forced !== undefined && options.dryRun !== true)
            await confirmed(
              io,
              options.yes,
              `rollback ${credential} --force makes key ${action.keyId} work again, revoked on ${action.forced.revokedAt.slice(0, 10)} because it leaked`,
            );
          return [action];
        },
      });
      await saveReport(io, options, result);
      const outcome = result.outcomes[0];
      if (outcome?.status === 'failed') exitCode = EXIT.failed;
      print(io, options, runToJson(result), rollbackText(result));
    },
  );

  withCommonOptions(
    program
      .command('status')
      .description('every key of one credential (or all), with state, age and next rotation')
      .argument('[credential]', 'only this credential'),
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
      .option('--reports <dir>', 'read run reports from this local folder (as written by --report-dir)'),
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
        const path = await writePeriodReport(options.reportDir, period);
        io.stderr(`period report: ${path}\n`);
      }
      print(io, options, period, periodText(period));
    },
  );

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (error instanceof CancelledError) {
      io.stderr(`keyrot: ${error.message}\n`);
      return EXIT.failed;
    }
    const at = argv.indexOf('--endpoint-url');
    const endpoint = (at >= 0 ? argv[at + 1] : undefined) ?? (process.env.AWS_ENDPOINT_URL || undefined);
    const explained = explainEnvironmentError(error, endpoint);
    io.stderr(`keyrot: ${explained?.message ?? errorMessage(error)}\n`);
    if (explained !== undefined) return explained.badInput ? EXIT.badInput : EXIT.failed;
    if (error instanceof InputError || error instanceof ConfigError) return EXIT.badInput;
    return EXIT.failed;
  }
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    progress: process.stderr.isTTY,
    ...(process.stdin.isTTY && process.stderr.isTTY && { confirm: askOnTerminal }),
  });
  process.exitCode = code;
}
