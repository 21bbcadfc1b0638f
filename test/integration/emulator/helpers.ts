import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { callerDrivesRotationPlugin } from '../../../functions/rotation/starter.js';
import { newAccountId, testClientConfig, withAccount } from '../../support/emulator-account.js';

/** What a call threw (undefined when it succeeded), for asserting AWS error names and statuses. */
export async function caught(
  call: Promise<unknown>,
): Promise<(Error & { $metadata?: { httpStatusCode?: number } }) | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
}

/** A fresh emulator account with an API Gateway client in it. */
export function apigatewayAccount(region = 'us-east-1') {
  const accountId = newAccountId();
  return {
    accountId,
    region,
    apigw: withAccount(new APIGatewayClient(testClientConfig(accountId, region)), accountId),
  };
}

/**
 * A fresh emulator account with a Secrets Manager client in it. Its RotateSecret calls carry the
 * emulator's test-only header that makes RotateSecret do the call's bookkeeping and invoke nothing
 * (the caller drives the steps); secrets-rotation-async.test.ts covers rotations as AWS runs them.
 */
export function secretsAccount(region = 'us-east-1') {
  const accountId = newAccountId();
  const secrets = withAccount(new SecretsManagerClient(testClientConfig(accountId, region)), accountId);
  secrets.middlewareStack.use(callerDrivesRotationPlugin);
  return { accountId, region, secrets };
}
