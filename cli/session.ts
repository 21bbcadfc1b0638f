import { hostname, userInfo } from 'node:os';
import {
  clientConfig,
  createClients,
  type AwsClients,
  type ClientOptions,
  type SdkPlugin,
} from '../functions/commons/clients.js';
import { InputError } from '../functions/commons/errors.js';
import { loadConfig } from '../functions/commons/load-config.js';
import { createLogger } from '../functions/commons/logger.js';
import { keyrotPacer, type Pacer } from '../functions/commons/pacing.js';
import { regionalApiGateways } from '../functions/commons/rotation-clients.js';
import { regionalKmsClients, type RegionalKms } from '../functions/commons/regional-kms.js';
import type { RegionalApis } from '../functions/rotation/regions.js';
import type { Config } from '../functions/core/config.js';
import { canariesOf } from '../functions/rotation/canary.js';
import {
  callerDrivesRotationPlugin,
  inProcessDriver,
  secretsManagerDriver,
  type RotationDriver,
} from '../functions/rotation/starter.js';
import { emulatorClock } from '../emulator/clock-client.js';
import { whereabouts } from '../functions/aws/account.js';

/** What every verb takes: where the account is, how to log and print. */
export interface CommonOptions {
  region?: string;
  endpointUrl?: string;
  profile?: string;
  config?: string;
  json?: boolean;
  logLevel: string;
  /** Verbs that act or plan at a time. */
  now?: string | boolean;
  /** Verbs that rotate. */
  rotation?: 'in-process' | 'secrets-manager';
  /** Verbs that run the executor (and report, for its period report). */
  reportDir?: string;
}

/** Where the CLI's clients come from, and what they send through (tests: account, faults). */
export interface SessionIo {
  stderr: (text: string) => void;
  plugins?: SdkPlugin[];
}

export function parseNow(value: string | boolean | undefined): Date {
  if (value === undefined || typeof value === 'boolean') return new Date();
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InputError(
      `--now ${JSON.stringify(value)} is not an ISO-8601 time such as 2026-01-31T00:00:00Z`,
    );
  }
  return date;
}

export function isLoopback(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  } catch {
    throw new InputError(`--endpoint-url ${JSON.stringify(url)} is not a URL`);
  }
}

/** The user name, for the run lease; a container's uid may have no passwd entry (userInfo throws). */
function whoAmI(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export interface Session {
  /** The SDK configuration of its clients, for a client the session does not make (IAM, in preflight). */
  clientConfig: ReturnType<typeof clientConfig>;
  clients: AwsClients;
  config: Config;
  now: Date;
  rotation: RotationDriver;
  log: ReturnType<typeof createLogger>;
  pacer: Pacer;
  /** Who runs it, as the run lease names it to a run that waits. */
  holder: string;
  /** API Gateway of the other regions of multi-region credentials (config replicaRegions). */
  regionalApis: RegionalApis;
  /** KMS of those regions (onboarding checks their stacks' secrets keys). */
  regionalKms: RegionalKms;
}

/**
 * Against the local emulator with a simulated clock (npm run emulator, or a test's account clock), the
 * CLI and the emulator agree on the time: --now moves the emulator's clock there (so the rotation
 * function it runs reads the same time), and without --now the CLI takes the emulator's time. The clock
 * is the account's own when it has one (the account these clients reach, as STS says), else the server's.
 */
async function agreeWithEmulatorClock(
  endpoint: string,
  now: Date | undefined,
  account: () => Promise<string | null>,
): Promise<Date | undefined> {
  let clock: { now: Date; simulated: boolean; account: string | null };
  try {
    clock = await emulatorClock(endpoint, undefined, (await account()) ?? undefined);
  } catch {
    return now; // not keyrot's emulator, or no clock route: nothing to agree with
  }
  if (!clock.simulated) return now;
  if (now === undefined) return clock.now;
  await emulatorClock(endpoint, now, clock.account ?? undefined);
  return now;
}

export async function session(options: CommonOptions, io: SessionIo): Promise<Session> {
  const config = await loadConfig(options.config);
  // The SDK's own variable (as `npm run emulator` suggests exporting) counts as --endpoint-url.
  const endpointUrl = options.endpointUrl ?? (process.env.AWS_ENDPOINT_URL || undefined);
  const local = endpointUrl !== undefined && isLoopback(endpointUrl);
  const requested = options.now === undefined || options.now === true ? undefined : parseNow(options.now);
  const pacer = keyrotPacer(config.pacing);
  // On the emulator without a deployed rotation function, this process runs the rotation steps itself.
  const mode =
    options.rotation ?? (local && config.rotationLambdaArn === undefined ? 'in-process' : 'secrets-manager');
  const hasCredentials =
    options.profile !== undefined ||
    process.env.AWS_ACCESS_KEY_ID !== undefined ||
    process.env.AWS_PROFILE !== undefined;
  const clientOptions: ClientOptions = {
    // As the AWS CLI: --region, then the environment, then the profile's (the SDK reads it).
    region:
      options.region ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION ??
      (local && options.profile === undefined ? 'us-east-1' : undefined),
    profile: options.profile,
    endpoint: endpointUrl,
    // The emulator takes any credentials; don't make a user configure some for it.
    credentials:
      local && !hasCredentials ? { accessKeyId: 'keyrot-local', secretAccessKey: 'keyrot-local' } : undefined,
    plugins: [...(io.plugins ?? []), ...(mode === 'in-process' ? [callerDrivesRotationPlugin] : [])],
    pacer,
  };
  const clients = createClients(clientOptions);
  const account = async () => (await whereabouts(clients.sts, () => {})).account;
  const now =
    (local ? await agreeWithEmulatorClock(endpointUrl, requested, account) : requested) ??
    parseNow(options.now);
  const log = createLogger({ sink: (line) => io.stderr(`${line}\n`), level: options.logLevel });
  // Each other region paces to its own quotas.
  const regionalApis = regionalApiGateways(clientOptions, () => keyrotPacer(config.pacing));
  const rotation =
    mode === 'in-process'
      ? inProcessDriver({
          apigw: clients.apigw,
          secrets: clients.secrets,
          config,
          now: () => now,
          log,
          ...canariesOf(config),
          regionalApis,
        })
      : secretsManagerDriver(clients.secrets, clients.lambda, config.rotationLambdaArn);
  const holder = `cli ${whoAmI()}@${hostname()}`;
  return {
    clients,
    config,
    now,
    rotation,
    log,
    pacer,
    holder,
    regionalApis,
    regionalKms: regionalKmsClients(clientOptions),
    clientConfig: clientConfig(clientOptions),
  };
}
