/**
 * The quick-start demo: starts the emulator on a simulated clock, deploys the CDK app's rotation
 * function bundle into it, seeds a realistic account, runs the reconciler once a day for a simulated
 * year, and prints what happened. Rotations go as on AWS: RotateSecret returns at once and the
 * emulator runs the deployed function out of process. Nothing here touches a real AWS account.
 */
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { emulatorClock, startEmulator } from '../emulator/start.js';
import { rotationsSettled } from '../emulator/clock-client.js';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { deployFunctions } from '../emulator/deploy.js';
import { secretsKeyAlias } from '../functions/core/secrets-key-alias.js';
import { runCli } from '../cli/main.js';
import { createClients } from '../functions/commons/clients.js';
import { createLogger } from '../functions/commons/logger.js';
import { onboardCredential } from '../functions/onboarding/onboard.js';
import { parseConfig } from '../functions/core/config.js';
import { reconcile, type RunResult } from '../functions/reconcile/run.js';
import { generateKeyValue } from '../functions/rotation/secret-value.js';
import { secretsManagerDriver } from '../functions/rotation/starter.js';
import { ROTATION_KINDS } from '../functions/core/types.js';
import { createPlans } from '../emulator/seed-account.js';
import { seedUsage, type UsageRecord } from '../emulator/seed-usage.js';
import { writeHistoryFiles, writeReportFiles } from '../functions/report/files.js';
import { day as dayOf } from '../functions/core/time.js';
import { printNamedQueries } from './local-history.js';
import { twoRegionSummary } from './demo-regions.js';
import { regionalApiGateways } from '../functions/commons/rotation-clients.js';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  EnableSecurityHubCommand,
  paginateGetFindings,
  type AwsSecurityFinding,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import {
  defaultProductArn,
  GENERATOR_PREFIX,
  securityHubUpdate,
} from '../functions/core/security-findings.js';

const START = new Date('2026-01-01T03:00:00Z');
/** A consumer that stopped calling the API: the hygiene checks report its key as unused. */
const DORMANT = 'initech-reports';
const DAYS = Number(process.env.DEMO_DAYS ?? 365);
const at = (day: number) => new Date(START.getTime() + day * 86_400_000);
/**
 * `npm run demo -- --history [DIR]` keeps every run's report as the report bucket stores it
 * (DIR/runs/YYYY/MM/DD/json|csv|html/, default reports/history): the organization's Athena table reads
 * that layout, and DuckDB runs its named queries over it (docs/organization.md).
 */
const HISTORY = (() => {
  const i = process.argv.indexOf('--history');
  if (i < 0) return undefined;
  const dir = process.argv[i + 1];
  return dir === undefined || dir.startsWith('--') ? 'reports/history' : dir;
})();

/** A credential served from two regions (docs/multi-region.md): one value, rotated in both. */
const TWO_REGION = 'acme-checkout';
const OTHER_REGION = 'eu-west-1';

const CONSUMERS = [
  ['acme-checkout', '30d'],
  ['acme-mobile', '30d'],
  ['bluebird-bank', '30d'],
  ['contoso-erp', '60d'],
  ['fabrikam-pos', '60d'],
  ['globex-partner', '90d'],
  ['initech-reports', '90d'],
  ['umbrella-logistics', '60d'],
  ['wayne-payroll', '30d'],
  ['stark-iot', '90d'],
  ['hooli-search', '60d'],
  ['pied-piper', '90d'],
] as const;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const emulator = await startEmulator({ clock: START });
  console.log(
    `emulator: moto server on ${emulator.endpoint} (account 123456789012, us-east-1), clock at ${START.toISOString()}`,
  );
  try {
    // A simulated year in a few minutes: the functions pace to 5 times the API quotas (the emulator
    // enforces none; `npm run bench` measures pacing against enforced ones).
    // Findings go to the account's Security Hub too (opt-in), enabled below as a platform team would.
    const settings = {
      pacing: { quotaScale: 5 },
      securityHub: { enabled: true },
      replicaRegions: [OTHER_REGION],
    };
    const deployment = await deployFunctions({
      endpoint: emulator.endpoint,
      accountId: '123456789012',
      context: { 'keyrot:config': settings },
    });
    // Every region of a multi-region credential runs the stack, whose secrets key (by its alias) encrypts
    // the replica there. The demo deploys the home region's functions only, so it makes that key itself.
    const otherKms = new KMSClient({
      region: OTHER_REGION,
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
    });
    const otherKey = await otherKms.send(
      new CreateKeyCommand({ Description: `keyrot stack of ${OTHER_REGION}` }),
    );
    await otherKms.send(
      new CreateAliasCommand({
        AliasName: secretsKeyAlias(parseConfig(settings).secretPrefix),
        TargetKeyId: otherKey.KeyMetadata!.KeyId!,
      }),
    );
    console.log(
      `deployed: the rotation function bundle (${deployment.rotationFunction.arn}), pacing to 5x the quotas to compress the year; the secrets key of the stack in ${OTHER_REGION}\n`,
    );
    const config = { ...parseConfig(settings), rotationLambdaArn: deployment.rotationFunction.arn };
    const clients = createClients({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
    });
    const log = createLogger({ sink: () => {}, level: 'SILENT' });
    const regionalApis = regionalApiGateways({
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
    });

    await clients.securityhub.send(new EnableSecurityHubCommand({}));
    const plans = await createPlans(clients.apigw, ['gold', 'silver', 'partners']);
    const otherPlans = await createPlans(regionalApis(OTHER_REGION), ['gold-eu']);
    for (const [i, [credential, policy]] of CONSUMERS.entries()) {
      await emulatorClock(emulator.endpoint, at(i % 10));
      const usagePlanIds = i % 4 === 0 ? [plans[i % 3]!, plans[(i + 1) % 3]!] : [plans[i % 3]!];
      const regions =
        credential === TWO_REGION ? [{ region: OTHER_REGION, usagePlanIds: otherPlans }] : undefined;
      await onboardCredential(
        { ...clients, config, now: at(i % 10), regionalApis },
        { credential, usagePlanIds, policy, regions },
      );
    }
    const unmanaged = await seedUnmanagedKeys(clients.apigw, plans[0]!);
    // Onboarding's configuration tests (RotateImmediately=false) run asynchronously: on AWS they end in
    // seconds, long before the next day's run. Let them end before the clock moves on.
    await rotationsSettled(emulator.endpoint);
    console.log(
      `seeded: ${CONSUMERS.length} credentials (30/60/90-day policies) in 3 usage plans, ${TWO_REGION} also in ${OTHER_REGION} (its secret replicated there), and 3 unmanaged keys\n`,
    );

    const months = new Map<string, { rotated: number; disabled: number; deleted: number; failed: number }>();
    const runs: RunResult[] = [];
    for (let day = 1; day <= DAYS; day++) {
      const now = at(day);
      await emulatorClock(emulator.endpoint, now);
      // Mid-year someone puts the load-test key into a usage plan: its orphaned finding stops holding,
      // and Security Hub shows it archived (resolved) while the key's other findings stay open.
      if (day === Math.ceil(DAYS / 2))
        await clients.apigw.send(
          new CreateUsagePlanKeyCommand({
            usagePlanId: plans[1]!,
            keyId: unmanaged['temp-load-test'],
            keyType: 'API_KEY',
          }),
        );
      const result = await reconcile({
        clients,
        config,
        now,
        log,
        rotation: secretsManagerDriver(clients.secrets, clients.lambda, config.rotationLambdaArn),
        regionalApis,
      });
      runs.push(result);
      if (HISTORY !== undefined) await writeHistoryFiles(HISTORY, result.report);
      await seedTraffic(emulator.endpoint, result, now);
      const month = now.toISOString().slice(0, 7);
      const row = months.get(month) ?? { rotated: 0, disabled: 0, deleted: 0, failed: 0 };
      for (const o of result.outcomes) {
        if (o.status === 'failed') row.failed++;
        else if (o.status !== 'done') continue;
        else if (ROTATION_KINDS.includes(o.action.kind)) row.rotated++;
        else if (o.action.kind === 'disable-key') row.disabled++;
        else if (o.action.kind === 'delete-key') row.deleted++;
      }
      months.set(month, row);
    }

    console.log('a simulated year of daily runs:');
    console.log('  month     rotated  disabled  deleted  failed');
    for (const [month, r] of months) {
      console.log(
        `  ${month}  ${pad(r.rotated, 7)}  ${pad(r.disabled, 8)}  ${pad(r.deleted, 7)}  ${pad(r.failed, 6)}`,
      );
    }
    const total = [...months.values()].reduce(
      (t, r) => ({
        rotated: t.rotated + r.rotated,
        disabled: t.disabled + r.disabled,
        deleted: t.deleted + r.deleted,
        failed: t.failed + r.failed,
      }),
      { rotated: 0, disabled: 0, deleted: 0, failed: 0 },
    );
    console.log(
      `  total     ${pad(total.rotated, 7)}  ${pad(total.disabled, 8)}  ${pad(total.deleted, 7)}  ${pad(total.failed, 6)}`,
    );
    const quiet = runs.filter((r) => r.plan.actions.length === 0).length;
    console.log(`  ${quiet} of ${DAYS} runs had nothing due and made no write call\n`);

    console.log(`what the next run would do (keyrot plan --now ${at(DAYS + 1).toISOString()}):`);
    await runCli(
      [
        'plan',
        '--endpoint-url',
        emulator.endpoint,
        '--now',
        at(DAYS + 1).toISOString(),
        '--log-level',
        'SILENT',
      ],
      {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
      },
    );
    const last = runs.at(-1)!;
    const paths = await writeReportFiles('reports', last.report);
    console.log(
      `\nthe last run's report (${last.report.keys.length} keys, ${last.report.findings.length} findings):`,
    );
    console.log(`  HTML ${paths.html}\n  CSV  ${paths.csv}\n  JSON ${paths.json}`);
    if (HISTORY !== undefined) {
      console.log(`\nevery run's report, in the report bucket's layout: ${HISTORY}/runs/`);
      console.log("the auditors' Athena named queries over it (DuckDB, docs/organization.md):");
      await printNamedQueries(
        HISTORY,
        { first: dayOf(at(1)), today: dayOf(at(DAYS)), credential: CONSUMERS[0][0], limit: 3 },
        console.log,
      );
    }
    const hub = await securityHubAgrees(clients.securityhub, last);
    console.log(`\n${hub.summary}`);
    const regional = (region: string) => {
      const secrets = new SecretsManagerClient({
        region,
        endpoint: emulator.endpoint,
        credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
      });
      return { region, apigw: regionalApis(region), secrets };
    };
    const twoRegions = await twoRegionSummary(
      TWO_REGION,
      { ...regional('us-east-1'), apigw: clients.apigw },
      regional(OTHER_REGION),
    );
    console.log(twoRegions.summary);
    if (total.failed > 0 || !hub.agrees || !twoRegions.agrees) process.exitCode = 1;
  } finally {
    await emulator.stop();
  }
}

const pad = (n: number, width: number) => String(n).padStart(width);

/**
 * Security Hub read back after the year (GetFindings): keyrot's ACTIVE findings are the last run's, one
 * for one; the others were archived when they stopped holding (Security Hub resolved their workflow);
 * no finding id twice, so a check that held all year is one finding, not one a day.
 */
async function securityHubAgrees(
  securityhub: SecurityHubClient,
  last: RunResult,
): Promise<{ agrees: boolean; summary: string }> {
  const { account, region } = last.report;
  const productArn = defaultProductArn('aws', region ?? '', account ?? '');
  const all: AwsSecurityFinding[] = [];
  for await (const page of paginateGetFindings(
    { client: securityhub, pageSize: 100 },
    {
      Filters: {
        ProductArn: [{ Value: productArn, Comparison: 'EQUALS' }],
        GeneratorId: [{ Value: GENERATOR_PREFIX, Comparison: 'PREFIX' }],
      },
    },
  ))
    all.push(...(page.Findings ?? []));
  const active = all.filter((f) => f.RecordState === 'ACTIVE').map((f) => f.Id ?? '');
  const archived = all.filter((f) => f.RecordState === 'ARCHIVED');
  const resolved = archived.filter((f) => f.Workflow?.Status === 'RESOLVED').length;
  const expected = securityHubUpdate({
    report: last.report,
    partition: 'aws',
    now: last.now,
    active: [],
  }).findings.map((f) => f.Id);
  const sameSet =
    active.length === expected.length && [...expected].sort().join() === [...active].sort().join();
  const unique = new Set(all.map((f) => f.Id)).size === all.length;
  const agrees = sameSet && unique && resolved === archived.length;
  return {
    agrees,
    summary:
      `Security Hub (read back with GetFindings): ${active.length} ACTIVE findings, ` +
      `${sameSet ? "one for one the last run's" : `NOT the last run's ${expected.length}`}; ` +
      `${archived.length} ARCHIVED as they stopped holding (${resolved} with workflow RESOLVED); ` +
      `${unique ? 'no finding id twice' : 'DUPLICATE finding ids'}`,
  };
}

/**
 * The day's requests, as API Gateway would meter them: every consumer calls with its current key,
 * and a consumer whose key was just rotated keeps using the old one for a day before it refreshes.
 */
async function seedTraffic(endpoint: string, result: RunResult, now: Date): Promise<void> {
  const records: UsageRecord[] = [];
  const date = dayOf(now);
  for (const row of result.report.keys) {
    // The home region's usage plans: a multi-region credential's rows elsewhere have none here.
    if (row.region !== result.report.region) continue;
    if (row.credential === null || row.credential === DORMANT || !row.enabled) continue;
    const justRotated =
      row.state === 'retiring' &&
      row.retiringAt !== null &&
      now.getTime() - Date.parse(row.retiringAt) < 86_400_000;
    if (row.state !== 'active' && !justRotated) continue;
    const used =
      row.state === 'active' ? 200 + ((row.keyId.charCodeAt(0) * 37 + now.getUTCDate() * 11) % 4800) : 12;
    for (const usagePlanId of row.usagePlans) records.push({ usagePlanId, keyId: row.keyId, date, used });
  }
  if (records.length > 0) await seedUsage(endpoint, records);
}

/** Keys created by hand over the years: the kind the hygiene checks report. */
async function seedUnmanagedKeys(apigw: APIGatewayClient, planId: string): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const name of ['legacy-batch-job', 'temp-load-test', 'old-partner-2019']) {
    const key = await apigw.send(new CreateApiKeyCommand({ name, enabled: true, value: generateKeyValue() }));
    ids[name] = key.id!;
    if (name === 'legacy-batch-job') {
      await apigw.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: key.id, keyType: 'API_KEY' }),
      );
    }
    if (name === 'old-partner-2019') {
      await apigw.send(
        new UpdateApiKeyCommand({
          apiKey: key.id,
          patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
        }),
      );
    }
  }
  return ids;
}

await main();
