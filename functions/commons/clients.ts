import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Pacer } from './pacing.js';
import type { SdkPlugin } from './sdk-plugin.js';

export type { SdkPlugin };

export interface AwsClients {
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
  cloudwatch: CloudWatchClient;
  eventbridge: EventBridgeClient;
  s3: S3Client;
  /** Invokes the rotation function to resume a stuck rotation. */
  lambda: LambdaClient;
  /** The run's account, for its report and findings (GetCallerIdentity). */
  sts: STSClient;
  /** The run's findings in Security Hub (config.securityHub.enabled). Never in the rotation function. */
  securityhub: SecurityHubClient;
}

export interface ClientOptions {
  region?: string | undefined;
  /** An alternative endpoint, such as the local emulator. */
  endpoint?: string | undefined;
  credentials?: AwsCredentialIdentity | undefined;
  /** A named profile of the shared AWS config and credentials files (keyrot --profile). */
  profile?: string | undefined;
  /** SDK plugins applied to every client (tests use them for accounts and injected faults). */
  plugins?: SdkPlugin[] | undefined;
  maxAttempts?: number | undefined;
  /** Paces API Gateway and Secrets Manager calls under the account's quotas. */
  pacer?: Pacer | undefined;
  /**
   * An attempt that has no answer after this long fails with TimeoutError and is retried (default
   * 20 s): a stalled connection must not hold the run until the Lambda's own timeout.
   */
  requestTimeoutMs?: number | undefined;
}

/**
 * One pool of kept-alive connections for every client of the process. A run makes a fresh set of
 * clients (and a warm Lambda container one per invocation); each with its own pool would open new
 * connections, and TLS sessions, for every run. The SDK's own per-client default is the same agent
 * (keep-alive, 50 sockets a host).
 */
const connections = {
  httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
  httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
};

/** The SDK configuration every keyrot client shares; the SDK's standard retry mode backs off on throttling. */
export function clientConfig(options: ClientOptions) {
  return {
    ...(options.region !== undefined && { region: options.region }),
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    ...(options.profile !== undefined && { profile: options.profile }),
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: 3_000,
      requestTimeout: options.requestTimeoutMs ?? 20_000,
      throwOnRequestTimeout: true,
      ...connections,
    },
  };
}

/** Paces API Gateway and Secrets Manager under the quotas, then applies the plugins to every client. */
export function wireClients<T extends { apigw: APIGatewayClient; secrets?: SecretsManagerClient }>(
  clients: T,
  options: ClientOptions,
): T {
  if (options.pacer !== undefined) {
    clients.apigw.middlewareStack.use(options.pacer.plugin('apigateway'));
    clients.secrets?.middlewareStack.use(options.pacer.plugin('secretsmanager'));
  }
  for (const plugin of options.plugins ?? []) {
    for (const client of Object.values(clients) as (
      { middlewareStack: { use(p: SdkPlugin): void } } | undefined
    )[])
      client?.middlewareStack.use(plugin);
  }
  return clients;
}

/** One set of SDK clients for a run. */
export function createClients(options: ClientOptions = {}): AwsClients {
  const config = clientConfig(options);
  return wireClients(
    {
      apigw: new APIGatewayClient(config),
      secrets: new SecretsManagerClient(config),
      cloudwatch: new CloudWatchClient(config),
      eventbridge: new EventBridgeClient(config),
      lambda: new LambdaClient(config),
      sts: new STSClient(config),
      securityhub: new SecurityHubClient(config),
      // Path-style addressing works with every endpoint, the emulator's included.
      s3: new S3Client({ ...config, forcePathStyle: options.endpoint !== undefined }),
    },
    options,
  );
}
