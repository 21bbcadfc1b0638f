import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { GetAccountSettingsCommand } from '@aws-sdk/client-lambda';
import type { AwsClients } from '../commons/clients.js';
import { errorMessage, isAwsError } from '../commons/errors.js';
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { Config } from '../core/config.js';
import type { PreflightFacts } from '../core/preflight.js';
import { readKeys, readSecrets } from './inventory.js';

/** Reads what keyrot preflight judges. Read-only: Get and List calls, nothing else. */
export async function readPreflightFacts(
  clients: Pick<AwsClients, 'apigw' | 'secrets' | 'lambda'> & { iam: IAMClient },
  config: Config,
  consumers: string[],
  regionalApis?: (region: string) => APIGatewayClient,
): Promise<PreflightFacts> {
  const settings = await clients.lambda.send(new GetAccountSettingsCommand({}));
  // The keys and secrets as the reconciler's inventory reads them.
  const [apiKeys, secrets] = await Promise.all([
    readKeys(clients.apigw),
    readSecrets(clients.secrets, config),
  ]);
  const roles: PreflightFacts['consumers'] = [];
  for (const principalArn of consumers) {
    const name = principalArn.split('/').at(-1) ?? '';
    try {
      const role = await clients.iam.send(new GetRoleCommand({ RoleName: name }));
      roles.push({ principalArn, found: role.Role?.Arn === principalArn });
    } catch (error) {
      if (!isAwsError(error, 'NoSuchEntityException') && !isAwsError(error, 'NoSuchEntity')) throw error;
      roles.push({ principalArn, found: false });
    }
  }
  // One configuration may serve every region: this one is no replica of itself.
  const own = await clients.apigw.config.region();
  const replicaRegions = await Promise.all(
    config.replicaRegions
      .filter((region) => region !== own)
      .map(async (region) => {
        if (regionalApis === undefined) return { region, error: 'no client for the region' };
        try {
          return { region, apiKeys: (await readKeys(regionalApis(region))).length };
        } catch (error) {
          return { region, error: errorMessage(error) };
        }
      }),
  );
  return {
    replicaRegions,
    lambda: {
      concurrentExecutions: settings.AccountLimit?.ConcurrentExecutions ?? 0,
      unreservedConcurrentExecutions: settings.AccountLimit?.UnreservedConcurrentExecutions ?? 0,
    },
    apiKeys,
    secrets,
    consumers: roles,
  };
}
