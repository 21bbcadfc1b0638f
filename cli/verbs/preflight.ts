import { IAMClient } from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import { readPreflightFacts } from '../../functions/aws/preflight-facts.js';
import { preflight } from '../../functions/core/preflight.js';
import { withCommonOptions } from '../options.js';
import { session, type CommonOptions } from '../session.js';
import { EXIT, print, type VerbContext } from './context.js';

/** keyrot preflight: read-only checks of an account before deploying keyrot or onboarding into it. */
export function registerPreflightVerb(program: Command, { io, exit }: VerbContext): void {
  withCommonOptions(
    program
      .command('preflight')
      .description(
        'read-only checks of an account before deploying keyrot or onboarding: one line per check, exit 1 on a failure',
      )
      .option(
        '--consumer <roleArn...>',
        'consumer roles the stack will name (keyrot:consumers): they must exist',
      ),
  ).action(async (options: CommonOptions & { consumer?: string[] }) => {
    const s = await session(options, io);
    const iam = new IAMClient(s.clientConfig);
    for (const plugin of io.plugins ?? []) iam.middlewareStack.use(plugin);
    const facts = await readPreflightFacts(
      { ...s.clients, iam },
      s.config,
      options.consumer ?? [],
      s.regionalApis,
    );
    const results = preflight(facts, s.config);
    print(
      io,
      options,
      { results },
      results
        .map((r) => `${r.verdict.toUpperCase().padEnd(4)}  ${r.check.padEnd(18)}  ${r.message}`)
        .join('\n'),
    );
    if (results.some((r) => r.verdict === 'fail')) exit(EXIT.failed);
  });
}
