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
/**
 * API Gateway of the other regions a credential lives in, made on first use: each with its own pacer,
 * as each region has its own quotas and shared budget.
 */
export function regionalApiGateways(
  options: ClientOptions = {},
  pacer: () => ClientOptions['pacer'] = () => undefined,
): (region: string) => APIGatewayClient {
  const made = new Map<string, APIGatewayClient>();
  return (region) => {
    let client = made.get(region);
    if (client === undefined) {
      const regional = { ...options, region, pacer: pacer() };
      client = wireClients({ apigw: new APIGatewayClient(clientConfig(regional)) }, regional).apigw;
      made.set(region, client);
    }
    return client;
  };
}

export function createRotationClients(options: ClientOptions = {}): RotationClients {
  const config = clientConfig(options);
  return wireClients(
    { apigw: new APIGatewayClient(config), secrets: new SecretsManagerClient(config) },
    options,
  );
}
