import { InvalidArgumentError, Option, type Command } from 'commander';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'];

/** The options every verb takes: the account, the configuration, logs and output. */
export const COMMON_FLAGS = ['--region', '--endpoint-url', '--profile', '--config', '--json', '--log-level'];

export function withCommonOptions(command: Command): Command {
  return command
    .option('--region <region>', 'AWS region (default: AWS_REGION, then the profile)')
    .option('--endpoint-url <url>', 'AWS endpoint, such as the local emulator (default: AWS_ENDPOINT_URL)')
    .option('--profile <name>', 'named profile of the shared AWS config and credentials files')
    .option('--config <file>', 'configuration file (JSON); default: built-in policies')
    .option('--json', 'machine-readable output on stdout')
    .addOption(
      new Option('--log-level <level>', `structured logs on stderr: ${LOG_LEVELS.join(', ')}`)
        .default('WARN')
        .argParser((value: string) => {
          const level = value.toUpperCase();
          if (!LOG_LEVELS.includes(level))
            throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}`);
          return level;
        }),
    );
}

/** --now: a simulated clock (drills, tests); `act` verbs take it as a bare flag too ("act now"). */
export function withNow(command: Command, act = false): Command {
  return command.option(
    act ? '--now [time]' : '--now <time>',
    act
      ? 'act now (the default); with a time, a simulated clock for drills'
      : 'simulated clock for drills and tests (ISO-8601)',
  );
}

/** Verbs that rotate: how rotations run. */
export function withRotation(command: Command): Command {
  return command.addOption(
    new Option(
      '--rotation <mode>',
      'how rotations run: Secrets Manager invokes the rotation Lambda, or in-process (emulator)',
    ).choices(['in-process', 'secrets-manager']),
  );
}

/** Verbs that run the executor: their run's report. */
export function withReportDir(command: Command): Command {
  return command.option('--report-dir <dir>', 'also write the run report (JSON, CSV, HTML) to this folder');
}
