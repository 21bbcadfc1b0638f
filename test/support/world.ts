import {
  APIGatewayClient,
  paginateGetApiKeys,
  paginateGetUsagePlanKeys,
  paginateGetUsagePlans,
} from '@aws-sdk/client-api-gateway';
import {
  GetSecretValueCommand,
  paginateListSecrets,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../../cli/main.js';
import { canariesOf } from '../../functions/rotation/canary.js';
import { createClients, type AwsClients, type SdkPlugin } from '../../functions/commons/clients.js';
import { createLogger } from '../../functions/commons/logger.js';
import { regionalApiGateways } from '../../functions/commons/rotation-clients.js';
import { regionalKmsClients, type RegionalKms } from '../../functions/commons/regional-kms.js';
import { secretsKeyAlias } from '../../functions/core/secrets-key-alias.js';
import { AlreadyExistsException, CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { parseConfig, type Config } from '../../functions/core/config.js';
import { reconcile, type RunResult } from '../../functions/reconcile/run.js';
import {
  callerDrivesRotationPlugin,
  inProcessDriver,
  secretsManagerDriver,
} from '../../functions/rotation/starter.js';
import { emulatorClock } from '../../emulator/clock-client.js';
import { deployFunctions, type Deployment } from '../../emulator/deploy.js';
import { accountPlugin, emulatorEndpoint, newAccountId } from './emulator-account.js';
import { CallRecorder } from './faults.js';

const ROOT = join(import.meta.dirname, '../..');
import type { Pacer } from '../../functions/commons/pacing.js';
import type { Pluggable } from '@aws-sdk/types';

export { createPlans } from '../../emulator/seed-account.js';

export const T0 = new Date('2026-01-01T03:00:00.000Z');
export const dayAt = (day: number) => new Date(T0.getTime() + day * 86_400_000);

/** Client settings a fault test turns: retries, pacing, the per-attempt timeout. */
export interface ClientFaultOptions {
  maxAttempts?: number;
  pacer?: Pacer;
  requestTimeoutMs?: number;
}

export interface WorldOptions {
  /** An emulator of the test's own (one with a simulated clock); default: the run's shared one. */
  endpoint?: string;
  /** Where the account's clock starts, before the first call (default: day 0, T0). */
  clockStart?: Date;
  /** The region its clients, runs and CLI work in (default us-east-1): a stack of another region. */
  region?: string;
  /** Another world's account (default: a fresh one): two regions of one account. */
  accountId?: string;
  /**
   * Replica regions where the keyrot stack is not deployed: no secrets key with keyrot's alias there.
   * Every other one of config.replicaRegions gets one before the world's first call, as its stack makes it.
   */
  undeployedRegions?: string[];
}

/**
 * One emulator account, the product's clients for it, and everything the run printed.
 *
 * Two ways rotations run. By default (unit-speed tests on the shared emulator) the run drives the
 * four steps in-process. After `deploy()` (lifecycle tests, on an emulator with a simulated clock) the
 * CDK app's rotation function bundle is deployed into the account and rotations go as on AWS:
 * RotateSecret returns at once, the emulator invokes the bundle out of process, retries, and the run
 * watches for the end; each run first moves the emulator's clock to its simulated day.
 */
export class World {
  readonly accountId: string;
  readonly region: string;
  readonly recorder = new CallRecorder();
  readonly logs: string[] = [];
  readonly endpoint: string;
  config: Config;
  deployment: Deployment | undefined;
  private readonly clockStart: Date;
  private clockReady: Promise<void> | undefined;
  private readonly undeployedRegions: readonly string[];

  // Exact due days by default; the year-long test runs the default (staggered) configuration.
  // Deployed worlds pace to TEST_PACING (test/support/deployed.ts): the emulator enforces no quota.
  constructor(
    config: Config = parseConfig({ staggerPercent: 0, pacing: { quotaScale: 8 } }),
    options: WorldOptions = {},
  ) {
    this.config = config;
    this.accountId = options.accountId ?? newAccountId();
    this.region = options.region ?? 'us-east-1';
    this.endpoint = options.endpoint ?? emulatorEndpoint();
    this.clockStart = options.clockStart ?? dayAt(0);
    this.undeployedRegions = options.undeployedRegions ?? [];
    // The emulator's IAM decision log names accounts; its replay names the test file working in each.
    const log = process.env.KEYROT_IAM_LOG;
    if (log !== undefined && log !== '') {
      const file = relative(ROOT, expect.getState().testPath ?? '');
      appendFileSync(log, `${JSON.stringify({ kind: 'test', account: this.accountId, file })}\n`);
    }
  }

  /**
   * The account's own clock on the emulator, set to the world's start before its first call: whatever
   * the test makes (keys, secrets, versions) is dated on the simulated calendar, never on the day the
   * suite happens to run. Every client of the world waits for it (clockPlugin).
   */
  ready(): Promise<void> {
    this.clockReady ??= emulatorClock(this.endpoint, this.clockStart, this.accountId).then(() =>
      this.replicaRegionKeys(),
    );
    return this.clockReady;
  }

  /**
   * The secrets key each replica region's stack has (RotationCore's SecretsKey, by its alias): a
   * multi-region credential's replica there is encrypted with it. Another world of the account may have
   * made it already.
   */
  private async replicaRegionKeys(): Promise<void> {
    const alias = secretsKeyAlias(this.config.secretPrefix);
    for (const region of this.config.replicaRegions.filter((r) => !this.undeployedRegions.includes(r))) {
      const kms = this.rawKms(region, false);
      // A region the emulator does not serve (a test's unknown region) can have no stack.
      const key = await kms
        .send(new CreateKeyCommand({ Description: `keyrot stack of ${region}` }))
        .catch(() => undefined);
      if (key === undefined) continue;
      await kms
        .send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata!.KeyId! }))
        .catch((error: unknown) => {
          if (!(error instanceof AlreadyExistsException)) throw error;
        });
    }
  }

  /** A plain KMS client of a region of the account, to read its keys directly. */
  rawKms(region: string, waitForClock = true): KMSClient {
    const kms = new KMSClient({
      region,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    kms.middlewareStack.use(accountPlugin(this.accountId));
    if (waitForClock) kms.middlewareStack.use(this.clockPlugin());
    return kms;
  }

  /** The product's KMS of other regions (onboarding checks their stacks' secrets keys). */
  regionalKms(): RegionalKms {
    return regionalKmsClients({
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      plugins: [accountPlugin(this.accountId), this.clockPlugin(), this.recorder.plugin()],
    });
  }

  /** An SDK plugin that holds a client's first request until the account's clock is set. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private clockPlugin(): Pluggable<any, any> {
    return {
      applyToStack: (stack) => {
        stack.add(
          (next) => async (args) => {
            await this.ready();
            return next(args);
          },
          { step: 'initialize', name: 'keyrotWorldClock', override: true },
        );
      },
    };
  }

  /**
   * Deploys the app's functions (the bundles `cdk synth` ships) into this account; rotations use them.
   * `context`: more cdk.json context for the app (keyrot:consumers, say).
   */
  async deploy(context: Record<string, unknown> = {}): Promise<Deployment> {
    await this.ready();
    const { rotationLambdaArn: _, secretKmsKeyId: __, ...config } = this.config;
    this.deployment = await deployFunctions({
      endpoint: this.endpoint,
      accountId: this.accountId,
      region: this.region,
      context: { 'keyrot:config': config, ...context },
    });
    // As an operator's configuration names the stack's: secrets onboarded from now on are encrypted with
    // the deployed key, so the functions need its grants (the emulator's IAM checks kms:ViaService).
    const deployed = JSON.parse(this.deployment.rotationFunction.environment.KEYROT_CONFIG ?? '{}') as {
      secretKmsKeyId?: string;
    };
    this.config = {
      ...this.config,
      rotationLambdaArn: this.deployment.rotationFunction.arn,
      ...(deployed.secretKmsKeyId !== undefined && { secretKmsKeyId: deployed.secretKmsKeyId }),
    };
    return this.deployment;
  }

  get deployed(): boolean {
    return this.deployment !== undefined;
  }

  /** Fresh clients, as a new Lambda invocation would have; extra plugins inject faults. */
  clients(plugins: SdkPlugin[] = [], options: ClientFaultOptions = {}): AwsClients {
    return createClients({
      region: this.region,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: options.maxAttempts ?? 1,
      pacer: options.pacer,
      requestTimeoutMs: options.requestTimeoutMs,
      plugins: [
        accountPlugin(this.accountId),
        this.clockPlugin(),
        this.recorder.plugin(),
        ...(this.deployed ? [] : [callerDrivesRotationPlugin]),
        ...plugins,
      ],
    });
  }

  /** Clients the test uses to read AWS state directly, not through the product's inventory. */
  raw(): { apigw: APIGatewayClient; secrets: SecretsManagerClient } {
    const config = {
      region: this.region,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const apigw = new APIGatewayClient(config);
    const secrets = new SecretsManagerClient(config);
    for (const client of [apigw, secrets]) {
      client.middlewareStack.use(accountPlugin(this.accountId));
      client.middlewareStack.use(this.clockPlugin());
    }
    // Without a deployed function, whatever starts a rotation here drives its steps itself.
    if (!this.deployed) secrets.middlewareStack.use(callerDrivesRotationPlugin);
    return { apigw, secrets };
  }

  /** The product's API Gateway of another region of the account (a multi-region credential's). */
  regionalApis(plugins: SdkPlugin[] = []): (region: string) => APIGatewayClient {
    return regionalApiGateways({
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      plugins: [accountPlugin(this.accountId), this.clockPlugin(), this.recorder.plugin(), ...plugins],
    });
  }

  /** A plain API Gateway client of another region, to read that region's state directly. */
  rawApigw(region: string): APIGatewayClient {
    const apigw = new APIGatewayClient({
      region,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    apigw.middlewareStack.use(accountPlugin(this.accountId));
    apigw.middlewareStack.use(this.clockPlugin());
    return apigw;
  }

  log() {
    return createLogger({ sink: (line) => this.logs.push(line), level: 'DEBUG' });
  }

  /** One reconciler run on simulated day `day`. */
  async run(
    day: number,
    plugins: SdkPlugin[] = [],
    options: ClientFaultOptions & { dryRun?: boolean; rotationWaitMs?: number } = {},
  ): Promise<RunResult> {
    return this.runAt(dayAt(day), plugins, options);
  }

  /** Moves the account's clock on the emulator (moto's dates, and the rotation function's time, read it). */
  async setClock(now: Date): Promise<void> {
    await this.ready();
    await emulatorClock(this.endpoint, now, this.accountId);
  }

  /** The account's simulated time now (it runs on from where it was set). */
  async clockNow(): Promise<Date> {
    await this.ready();
    return (await emulatorClock(this.endpoint, undefined, this.accountId)).now;
  }

  /** One run at any time: for checks that compare with dates moto sets from the real clock. */
  async runAt(
    now: Date,
    plugins: SdkPlugin[] = [],
    options: ClientFaultOptions & { dryRun?: boolean; rotationWaitMs?: number } = {},
  ): Promise<RunResult> {
    await this.setClock(now);
    const clients = this.clients(plugins, options);
    const log = this.log();
    return reconcile({
      clients,
      config: this.config,
      now,
      log,
      dryRun: options.dryRun,
      pacer: options.pacer,
      regionalApis: this.regionalApis(plugins),
      rotation: this.deployed
        ? secretsManagerDriver(clients.secrets, clients.lambda, this.config.rotationLambdaArn)
        : inProcessDriver({
            ...clients,
            config: this.config,
            now: () => now,
            log,
            regionalApis: this.regionalApis(plugins),
            // With a canary URL (a stage stand-in), testSecret waits until the new key works there.
            ...canariesOf(this.config, { attempts: 80, delayMs: 25 }),
          }),
      rotationWaitMs: options.rotationWaitMs ?? 60_000,
      // In-process, nothing runs a rotation between runs: a pending one is stuck at once.
      resumeStuckAfterMs: this.deployed ? undefined : 0,
    });
  }

  /** The configuration as a file for `keyrot --config` (once deployed, it names the rotation function). */
  configFile(): string {
    const file = join(tmpdir(), `keyrot-${this.accountId}-${this.region}.json`);
    const { secretKmsKeyId: _, ...config } = this.config;
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  /**
   * `keyrot ARGS` against this world's account and emulator, with its configuration: as an operator runs
   * it against a deployed account (rotations go through the deployed function once deployed).
   */
  async cli(
    args: string[],
    plugins: SdkPlugin[] = [],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    await this.ready();
    // A named profile brings its own region, as for an operator; otherwise the world's.
    const region = args.includes('--profile') ? [] : ['--region', this.region];
    const where = [...region, '--endpoint-url', this.endpoint, '--config', this.configFile()];
    const code = await runCli([...args, ...where], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      plugins: [accountPlugin(this.accountId), ...plugins],
    });
    return { code, stdout, stderr };
  }

  /** Lines the deployed rotation function logged (its CloudWatch Logs), for I4 checks. */
  async functionLogs(): Promise<string[]> {
    if (this.deployment === undefined) return [];
    const { CloudWatchLogsClient, FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
    const logs = new CloudWatchLogsClient({
      region: this.region,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    logs.middlewareStack.use(accountPlugin(this.accountId));
    const lines: string[] = [];
    for (const fn of [this.deployment.rotationFunction, this.deployment.reconciler]) {
      let nextToken: string | undefined;
      do {
        try {
          const page = await logs.send(
            new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${fn.name}`, nextToken }),
          );
          lines.push(...(page.events ?? []).map((e) => e.message ?? ''));
          nextToken = page.nextToken;
        } catch {
          nextToken = undefined; // no log group: the function never ran
        }
      } while (nextToken !== undefined);
    }
    return lines;
  }
}

export interface KeyState {
  id: string;
  name: string;
  value: string;
  enabled: boolean;
  tags: Record<string, string>;
  planIds: string[];
}

export interface SecretState {
  name: string;
  credential: string;
  currentValue: string | undefined;
  versions: Record<string, string[]>;
  rotationEnabled: boolean;
  lastRotatedDate: Date | undefined;
  tags: Record<string, string>;
}

export interface AwsState {
  keys: KeyState[];
  secrets: SecretState[];
}

/** Reads the account with plain SDK calls, values included: the ground truth invariants are checked on. */
export async function readAwsState(world: World): Promise<AwsState> {
  const { apigw, secrets } = world.raw();
  const keys = await readKeys(apigw);
  // ListSecrets carries the stages, rotation and last rotation of each secret; values are read at once.
  const listed = [];
  for await (const page of paginateListSecrets({ client: secrets }, {}))
    listed.push(...(page.SecretList ?? []));
  const found: SecretState[] = await Promise.all(
    listed.map(async (s) => {
      let currentValue: string | undefined;
      try {
        const v = await secrets.send(
          new GetSecretValueCommand({ SecretId: s.ARN, VersionStage: 'AWSCURRENT' }),
        );
        currentValue = (JSON.parse(v.SecretString ?? '{}') as { apiKey?: string }).apiKey;
      } catch {
        currentValue = undefined;
      }
      return {
        name: s.Name ?? '',
        credential: (s.Name ?? '').replace(world.config.secretPrefix, ''),
        currentValue,
        versions: { ...s.SecretVersionsToStages },
        rotationEnabled: s.RotationEnabled ?? false,
        lastRotatedDate: s.LastRotatedDate,
        tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      };
    }),
  );
  return { keys, secrets: found };
}

/** One region's keys with their values and plans, read with plain SDK calls. */
export async function readKeys(apigw: APIGatewayClient): Promise<KeyState[]> {
  const keys: KeyState[] = [];
  for await (const page of paginateGetApiKeys({ client: apigw }, { includeValues: true, limit: 500 })) {
    for (const k of page.items ?? []) {
      keys.push({
        id: k.id ?? '',
        name: k.name ?? '',
        value: k.value ?? '',
        enabled: k.enabled ?? false,
        tags: { ...k.tags },
        planIds: [],
      });
    }
  }
  for await (const page of paginateGetUsagePlans({ client: apigw }, { limit: 500 })) {
    for (const plan of page.items ?? []) {
      for await (const kp of paginateGetUsagePlanKeys(
        { client: apigw },
        { usagePlanId: plan.id, limit: 500 },
      )) {
        for (const item of kp.items ?? []) keys.find((k) => k.id === item.id)?.planIds.push(plan.id ?? '');
      }
    }
  }
  for (const k of keys) k.planIds.sort();
  return keys;
}

/** I1 and I2 on one state; returns what is violated, empty when all hold. */
export function checkKeyInvariants(
  state: AwsState,
  plansOf: Map<string, string[]>,
  config: Config,
): string[] {
  const violations: string[] = [];
  const credentialTag = `${config.tagPrefix}credential`;
  for (const secret of state.secrets) {
    const keys = state.keys.filter((k) => k.tags[credentialTag] === secret.credential);
    const current = state.keys.find((k) => k.value === secret.currentValue);
    const want = plansOf.get(secret.credential) ?? [];
    if (current === undefined) violations.push(`I1 ${secret.credential}: AWSCURRENT names no existing key`);
    else {
      if (!current.enabled) violations.push(`I1 ${secret.credential}: current key ${current.id} is disabled`);
      const missing = want.filter((p) => !current.planIds.includes(p));
      if (missing.length > 0)
        violations.push(`I1 ${secret.credential}: current key not in plans ${missing.join(',')}`);
    }
    const currentGen = Number(current?.tags[`${config.tagPrefix}generation`] ?? 0);
    const newer = keys.filter((k) => Number(k.tags[`${config.tagPrefix}generation`]) > currentGen);
    if (newer.length > 1) violations.push(`I2 ${secret.credential}: ${newer.length} pending keys`);
    const currentVersions = Object.entries(secret.versions).filter(([, s]) => s.includes('AWSCURRENT'));
    if (currentVersions.length !== 1)
      violations.push(`I2 ${secret.credential}: ${currentVersions.length} AWSCURRENT versions`);
  }
  return violations;
}

/** I3 across runs: a key may vanish only after it was seen disabled for the whole disable window. */
export class DeletionWatch {
  private readonly firstSeenDisabled = new Map<string, number>();
  private known = new Set<string>();
  readonly violations: string[] = [];

  observe(state: AwsState, day: number, windowDays: (key: KeyState) => number): void {
    const present = new Map(state.keys.map((k) => [k.id, k]));
    for (const id of this.known) {
      if (present.has(id)) continue;
      const since = this.firstSeenDisabled.get(id);
      const key = this.lastSeen.get(id);
      const window = key === undefined ? Infinity : windowDays(key);
      if (since === undefined || day - since < window) {
        this.violations.push(`I3 key ${id} deleted on day ${day}, disabled since day ${since ?? 'never'}`);
      }
    }
    for (const key of state.keys) {
      if (!key.enabled && !this.firstSeenDisabled.has(key.id)) this.firstSeenDisabled.set(key.id, day);
      if (key.enabled) this.firstSeenDisabled.delete(key.id);
      this.lastSeen.set(key.id, key);
    }
    this.known = new Set(present.keys());
  }

  private readonly lastSeen = new Map<string, KeyState>();
}

/** I4 on an account: which values of its keys (all of them, read now) appear in any of the texts. */
export async function leakedKeyValues(world: World, texts: string[]): Promise<string[]> {
  const { keys } = await readAwsState(world);
  return leakedValues(
    keys.map((k) => k.value),
    texts,
  );
}

/** I4: which of the given secret values appear in any of the texts. */
export function leakedValues(values: Iterable<string>, texts: string[]): string[] {
  const all = texts.join('\n');
  return [...values].filter((v) => v.length > 0 && all.includes(v));
}
