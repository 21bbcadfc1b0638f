import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsCredentialIdentity, Pluggable } from '@aws-sdk/types';

/** An SDK plugin for any client: the clients' input and output types differ. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SdkPlugin = Pluggable<any, any>;

export interface AwsClients {
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
  cloudwatch: CloudWatchClient;
}

export interface ClientOptions {
  region?: string | undefined;
  /** An alternative endpoint, such as the local emulator. */
  endpoint?: string | undefined;
  credentials?: AwsCredentialIdentity | undefined;
  /** SDK plugins applied to every client (tests use them for accounts and injected faults). */
  plugins?: SdkPlugin[] | undefined;
  maxAttempts?: number | undefined;
}

/** One set of SDK clients for a run; the SDK's standard retry mode backs off on throttling. */
export function createClients(options: ClientOptions = {}): AwsClients {
  const config = {
    ...(options.region !== undefined && { region: options.region }),
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: 'standard',
  };
  const clients: AwsClients = {
    apigw: new APIGatewayClient(config),
    secrets: new SecretsManagerClient(config),
    cloudwatch: new CloudWatchClient(config),
  };
  for (const plugin of options.plugins ?? []) {
    clients.apigw.middlewareStack.use(plugin);
    clients.secrets.middlewareStack.use(plugin);
    clients.cloudwatch.middlewareStack.use(plugin);
  }
  return clients;
}
