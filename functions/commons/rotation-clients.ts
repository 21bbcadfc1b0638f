import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, wireClients, type ClientOptions } from './clients.js';

export interface RotationClients {
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
}

/**
 * The two clients the rotation function calls, and only those: its bundle carries no S3, CloudWatch,
 * EventBridge or Lambda client (a module of its own, so esbuild leaves them out).
 */
export function createRotationClients(options: ClientOptions = {}): RotationClients {
  const config = clientConfig(options);
  return wireClients(
    { apigw: new APIGatewayClient(config), secrets: new SecretsManagerClient(config) },
    options,
  );
}
