import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../functions/core/config.js';
import { InputError, errorMessage } from '../functions/commons/errors.js';
import { CancelledError } from './confirm.js';
import { explainEnvironmentError } from './errors.js';
import { StalePlanError } from './saved-plan.js';
import { EXIT, type CliIo, type VerbContext } from './verbs/context.js';
import { registerInspectVerbs } from './verbs/inspect.js';
import { registerOnCallVerbs } from './verbs/oncall.js';
import { registerPreflightVerb } from './verbs/preflight.js';
import { registerRunVerbs } from './verbs/run.js';
import { registerSuspensionVerbs } from './verbs/suspension.js';

export type { CliIo };

/** package.json's version: what `keyrot --version` prints. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Runs the CLI and returns its exit code: 0 done, 1 some action failed (or cancelled, or a stale
 * plan), 2 bad input; plan --detailed-exitcode: 2 changes pending, 1 any error.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('keyrot')
    .description('Rotation and hygiene for Amazon API Gateway API keys')
    .version(VERSION, '--version', 'the keyrot version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const context: VerbContext = { io, exit: (code) => (exitCode = Math.max(exitCode, code)) };
  registerRunVerbs(program, context);
  registerOnCallVerbs(program, context);
  registerSuspensionVerbs(program, context);
  registerInspectVerbs(program, context);
  registerPreflightVerb(program, context);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    // With --detailed-exitcode, 2 means changes pending: every error exits 1, as Terraform's.
    const detailed = argv.includes('--detailed-exitcode');
    const code = exitCodeOf(error, argv, io);
    return detailed && code === EXIT.badInput ? EXIT.failed : code;
  }
}

function exitCodeOf(error: unknown, argv: string[], io: CliIo): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  if (error instanceof CancelledError || error instanceof StalePlanError) {
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
