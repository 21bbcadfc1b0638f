import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { InputError } from '../../functions/commons/errors.js';
import { planOnboard } from '../../functions/onboarding/onboard.js';
import { checkRegions, parseRegionPlans, readRegionPlans } from '../../functions/onboarding/regions.js';
import { planAddRegion } from '../../functions/onboarding/add-region.js';
import { regionKeyProblems } from '../../functions/onboarding/region-keys.js';
import { secretsKeyAlias } from '../../functions/core/secrets-key-alias.js';
import { planRollback } from '../../functions/oncall/rollback.js';
import { rotateMany } from '../../functions/oncall/rotate-many.js';
import { reconcile } from '../../functions/reconcile/run.js';
import { confirmed } from '../confirm.js';
import { withCommonOptions, withNow, withReportDir, withRotation } from '../options.js';
import { rollbackText, rotateManyText, runToJson } from '../output.js';
import { parseDuration } from '../parse.js';
import { progressPrinter } from '../progress.js';
import { session, type CommonOptions } from '../session.js';
import { EXIT, print, printOneAction, saveReport, type VerbContext } from './context.js';

interface RotateOptions extends CommonOptions {
  grace?: string;
  all?: boolean;
  plan?: string[];
  policy?: string[];
  prefix?: string;
  dryRun?: boolean;
  yes?: boolean;
}

/**
 * The on-call verbs: each plans its actions purely and runs them through the scheduled run's executor,
 * so it has a dry run, events, metrics and a report row like any run.
 */
export function registerOnCallVerbs(program: Command, { io, exit }: VerbContext): void {
  withReportDir(
    withNow(
      withCommonOptions(
        program
          .command('onboard')
          .description('create a managed credential: its secret and a first key in the given usage plans')
          .argument('<credential>', 'the credential name (the secret is <secretPrefix><credential>)')
          .requiredOption('--plan <id...>', 'usage plan id(s) the key belongs to')
          .option('--policy <name>', 'rotation policy name (default: the configured default)')
          .option(
            '--region-plan <region=id...>',
            "the credential's usage plans in another region (one of replicaRegions): the same key there, its secret replicated (docs/multi-region.md)",
          )
          .option(
            '--dry-run',
            'check the inputs against the account and show the onboarding; change nothing',
          ),
      ),
    ),
  ).action(
    async (
      credential: string,
      options: CommonOptions & { plan: string[]; policy?: string; regionPlan?: string[]; dryRun?: boolean },
    ) => {
      const s = await session(options, io);
      const regions = parseRegionPlans(options.regionPlan ?? [], await s.clients.apigw.config.region());
      const regionPlans = await readRegionPlans(s.regionalApis, regions);
      const keyProblems = await regionKeyProblems(
        s.regionalKms,
        regions.map((r) => r.region),
        secretsKeyAlias(s.config.secretPrefix),
      );
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
            regions,
            regionPlans,
            regionKeyProblems: keyProblems,
            newVersion: randomUUID(),
          }),
        ],
      });
      await saveReport(io, options, result);
      const row = result.report.keys.find((k) => k.credential === credential && k.state === 'active');
      const summary = {
        credential,
        dryRun: result.dryRun,
        status: result.outcomes[0]?.status ?? 'planned',
        keyId: row?.keyId ?? null,
        secretArn: row?.secretArn ?? null,
        version: row?.currentVersion ?? null,
        runId: result.runId,
      };
      printOneAction({ io, exit }, options, result, summary, {
        doing: `onboarding ${credential}`,
        again: 'keyrot onboard',
        would: 'would onboard',
        done: `onboarded ${credential}: key ${summary.keyId ?? '?'}, secret ${summary.secretArn ?? '?'}`,
      });
    },
  );

  withReportDir(
    withNow(
      withCommonOptions(
        program
          .command('add-region')
          .description(
            'an existing credential in one more region (one of replicaRegions): its secret replicated there, its current key made there with the same value, in the given plans',
          )
          .argument('<credential>', 'the credential name')
          .requiredOption(
            '--region-plan <region=id...>',
            "the credential's usage plans in the region to add (docs/multi-region.md)",
          )
          .option('--dry-run', 'check the inputs against both regions and show the change; change nothing'),
      ),
    ),
  ).action(
    async (credential: string, options: CommonOptions & { regionPlan: string[]; dryRun?: boolean }) => {
      const s = await session(options, io);
      const home = await s.clients.apigw.config.region();
      const regions = parseRegionPlans(options.regionPlan, home);
      if (regions.length !== 1)
        throw new InputError(
          `--region-plan: give the plans of one region (got ${regions.map((r) => r.region).join(', ')})`,
        );
      const { region, usagePlanIds } = regions[0]!;
      // Before any read there: the stack (and the operator's policy) has grants in replicaRegions only.
      checkRegions(s.config, credential, regions);
      const regionPlans = (await readRegionPlans(s.regionalApis, regions)).get(region) ?? [];
      const keyProblem = (
        await regionKeyProblems(s.regionalKms, [region], secretsKeyAlias(s.config.secretPrefix))
      ).get(region);
      const result = await reconcile({
        ...s,
        trigger: 'manual',
        dryRun: options.dryRun === true,
        actions: (_plan, inventory) => [
          planAddRegion(inventory, s.config, {
            credential,
            region,
            usagePlanIds,
            home,
            regionPlans,
            keyProblem,
          }),
        ],
      });
      await saveReport(io, options, result);
      const outcome = result.outcomes[0];
      const summary = {
        credential,
        region,
        dryRun: result.dryRun,
        status: outcome?.status ?? 'planned',
        detail: outcome?.detail ?? null,
        runId: result.runId,
      };
      printOneAction({ io, exit }, options, result, summary, {
        doing: `adding ${region} to ${credential}`,
        again: 'keyrot add-region',
        would: 'would add',
        done: `added ${region} to ${credential}: ${summary.detail ?? ''}`,
      });
    },
  );

  withReportDir(
    withRotation(
      withNow(
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
            .option(
              '--dry-run',
              'print how many would rotate and how long it takes at the quotas; change nothing',
            )
            .option(
              '--grace <duration>',
              'grace for the old key: 0 revokes it at once; 30m, 12h, 3d (default: its policy)',
            )
            .option('--yes', 'do not ask for confirmation of --grace 0'),
        ),
        true,
      ),
    ),
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
        io.confirm,
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
    if (!result.dryRun && (result.failed.length > 0 || result.remaining.length > 0)) exit(EXIT.failed);
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

  withReportDir(
    withNow(
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
            'pause the rotation for this long (such as 3d): the restored key keeps its age; when it is due, it is held for its policy grace by default',
          )
          .option('--dry-run', 'show the rollback and change nothing')
          .option('--yes', 'do not ask for confirmation of --force'),
      ),
    ),
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
              io.confirm,
              options.yes,
              `rollback ${credential} --force makes key ${action.keyId} work again, revoked on ${action.forced.revokedAt.slice(0, 10)} because it leaked`,
            );
          return [action];
        },
      });
      await saveReport(io, options, result);
      const outcome = result.outcomes[0];
      if (outcome?.status === 'failed') exit(EXIT.failed);
      print(io, options, runToJson(result), rollbackText(result));
    },
  );
}
