import { paginateGetApiKeys } from '@aws-sdk/client-api-gateway';
import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { GetAccountSettingsCommand } from '@aws-sdk/client-lambda';
import { paginateListSecrets } from '@aws-sdk/client-secrets-manager';
import type { AwsClients } from '../commons/clients.js';
import { isAwsError } from '../commons/errors.js';
import type { Config } from '../core/config.js';
import type { PreflightFacts } from '../core/preflight.js';

/** Reads what keyrot preflight judges. Read-only: Get and List calls, nothing else. */
export async function readPreflightFacts(
  clients: Pick<AwsClients, 'apigw' | 'secrets' | 'lambda'> & { iam: IAMClient },
  config: Config,
  consumers: string[],
): Promise<PreflightFacts> {
  const settings = await clients.lambda.send(new GetAccountSettingsCommand({}));
  const apiKeys: PreflightFacts['apiKeys'] = [];
  for await (const page of paginateGetApiKeys(
    { client: clients.apigw, pageSize: 500 },
    { includeValues: false },
  ))
    for (const k of page.items ?? []) apiKeys.push({ id: k.id ?? '', tags: k.tags ?? {} });
  const secrets: PreflightFacts['secrets'] = [];
  for await (const page of paginateListSecrets(
    { client: clients.secrets },
    { Filters: [{ Key: 'name', Values: [config.secretPrefix] }], IncludePlannedDeletion: true },
  )) {
    for (const s of page.SecretList ?? []) {
      // The name filter matches a prefix of any word; keyrot's secrets start with the prefix.
      if (!(s.Name ?? '').startsWith(config.secretPrefix)) continue;
      secrets.push({
        name: s.Name ?? '',
        tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        rotationEnabled: s.RotationEnabled === true,
        rotationLambdaArn: s.RotationLambdaARN,
      });
    }
  }
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
  return {
    lambda: {
      concurrentExecutions: settings.AccountLimit?.ConcurrentExecutions ?? 0,
      unreservedConcurrentExecutions: settings.AccountLimit?.UnreservedConcurrentExecutions ?? 0,
    },
    apiKeys,
    secrets,
    consumers: roles,
  };
}
