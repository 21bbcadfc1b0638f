import {
  paginateGetApiKeys,
  paginateGetUsagePlanKeys,
  paginateGetUsagePlans,
  type APIGatewayClient,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import {
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  paginateListSecrets,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { consumersOfPolicy } from '../core/consumers.js';
import { secretCredential } from '../core/credentials.js';
import { homeRegionElsewhere } from '../core/home-region.js';
import { TAG, tagName } from '../core/tags.js';
import pLimit from 'p-limit';
import { errorMessage } from '../commons/errors.js';
import type { Config } from '../core/config.js';
import { readApis } from './apis.js';
import { READ_CONCURRENCY, readUsage } from './usage.js';
import type { Inventory, ObservedKey, ObservedPlan, ObservedSecret } from '../core/types.js';

const PAGE = 500;

/**
 * Observes the account: keys with their tags, usage plans and their keys, the managed secrets.
 * Calls grow with keys/500, plans and secrets/100, never one call per key.
 */
export async function readInventory(
  clients: { apigw: APIGatewayClient; secrets: SecretsManagerClient },
  config: Config,
  now: Date,
  options: {
    hygiene?: boolean;
    /** false: the plans without their keys (every key's planIds empty): one call instead of one per plan. */
    planKeys?: boolean;
  } = {},
): Promise<Inventory> {
  const [keys, plans, secrets] = await Promise.all([
    readKeys(clients.apigw),
    readPlans(clients.apigw, options.planKeys ?? true),
    readSecrets(clients.secrets, config),
  ]);
  const byId = new Map(keys.map((k) => [k.id, k]));
  for (const plan of plans) {
    for (const keyId of plan.keyIds) byId.get(keyId)?.planIds.push(plan.plan.id);
  }
  const observed: Inventory = { keys, plans: plans.map((p) => p.plan), secrets, problems: [] };
  if (options.hygiene === false) return observed;
  const { hygiene } = config;
  // Hygiene reads must not stop rotation: a failure is reported and those checks skip this run.
  const [usage, apis] = await Promise.all([
    hygiene.unused.action === 'ignore'
      ? undefined
      : readUsage(
          clients.apigw,
          observed.plans.map((p) => p.id),
          now,
          hygiene.unused.days,
        ).catch((error: unknown) => {
          observed.problems?.push(
            `usage (GetUsage) could not be read, no unused check this run: ${errorMessage(error)}`,
          );
          return undefined;
        }),
    hygiene.posture.action === 'ignore'
      ? undefined
      : readApis(
          clients.apigw,
          new Set(observed.plans.flatMap((p) => p.apiStages.map((s) => s.apiId))),
        ).catch((error: unknown) => {
          observed.problems?.push(
            `APIs could not be read, no method posture check this run: ${errorMessage(error)}`,
          );
          return undefined;
        }),
  ]);
  return { ...observed, usage, apis };
}

export async function readKeys(apigw: APIGatewayClient): Promise<ObservedKey[]> {
  const keys: ObservedKey[] = [];
  for await (const page of paginateGetApiKeys({ client: apigw, pageSize: PAGE }, { includeValues: false })) {
    for (const item of page.items ?? []) {
      if (item.id === undefined) continue;
      keys.push({
        id: item.id,
        name: item.name ?? '',
        enabled: item.enabled ?? false,
        createdDate: item.createdDate,
        lastUpdatedDate: item.lastUpdatedDate,
        tags: { ...item.tags },
        planIds: [],
        ...(item.customerId !== undefined && { customerId: item.customerId }),
        ...(item.description !== undefined && { description: item.description }),
      });
    }
  }
  return keys;
}

/** A usage plan as the planner sees it (GetUsagePlans' items, GetUsagePlan's answer). */
export function observedPlan(item: UsagePlan): ObservedPlan {
  return {
    id: item.id ?? '',
    name: item.name ?? '',
    apiStages: (item.apiStages ?? []).map((s) => ({ apiId: s.apiId ?? '', stage: s.stage ?? '' })),
    throttle: item.throttle,
    quota: item.quota,
  };
}

/** The usage plans, and with `withKeys` each plan's keys (one more call per plan and page). */
export async function readPlans(
  apigw: APIGatewayClient,
  withKeys: boolean,
): Promise<{ plan: ObservedPlan; keyIds: string[] }[]> {
  const plans: ObservedPlan[] = [];
  for await (const page of paginateGetUsagePlans({ client: apigw, pageSize: PAGE }, {})) {
    for (const item of page.items ?? []) {
      if (item.id === undefined) continue;
      plans.push(observedPlan(item));
    }
  }
  if (!withKeys) return plans.map((plan) => ({ plan, keyIds: [] }));
  const limit = pLimit(READ_CONCURRENCY);
  return Promise.all(
    plans.map((plan) =>
      limit(async () => {
        const keyIds: string[] = [];
        const pages = paginateGetUsagePlanKeys({ client: apigw, pageSize: PAGE }, { usagePlanId: plan.id });
        for await (const page of pages) {
          for (const item of page.items ?? []) if (item.id !== undefined) keyIds.push(item.id);
        }
        return { plan, keyIds };
      }),
    ),
  );
}

export async function readSecrets(secrets: SecretsManagerClient, config: Config): Promise<ObservedSecret[]> {
  const found: ObservedSecret[] = [];
  const pages = paginateListSecrets(
    { client: secrets, pageSize: 100 },
    { IncludePlannedDeletion: true, Filters: [{ Key: 'name', Values: [config.secretPrefix] }] },
  );
  for await (const page of pages) {
    for (const item of page.SecretList ?? []) {
      if (item.ARN === undefined || item.Name === undefined) continue;
      // The name filter matches prefixes of words; keep exact prefix matches only.
      if (!item.Name.startsWith(config.secretPrefix)) continue;
      found.push({
        arn: item.ARN,
        name: item.Name,
        tags: Object.fromEntries((item.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        versions: { ...item.SecretVersionsToStages },
        rotationEnabled: item.RotationEnabled ?? false,
        rotationPeriodDays: item.RotationRules?.AutomaticallyAfterDays,
        rotationLambdaArn: item.RotationLambdaARN,
        lastRotatedDate: item.LastRotatedDate,
        deletedDate: item.DeletedDate,
        // A replica names its primary's region: the credential is owned there (core/regions.ts).
        primaryRegion: item.PrimaryRegion,
      });
    }
  }
  // Replicated primaries (multi-region credentials owned here): their replicas' status, which
  // ListSecrets does not give.
  const replicated = found.filter(
    (s) => s.primaryRegion !== undefined && homeRegionElsewhere(s) === undefined,
  );
  const describe = pLimit(READ_CONCURRENCY);
  await Promise.all(
    replicated.map((secret) =>
      describe(async () => {
        const described = await secrets.send(new DescribeSecretCommand({ SecretId: secret.arn }));
        secret.replication = (described.ReplicationStatus ?? []).map((r) => ({
          region: r.Region ?? '',
          status: r.Status ?? '',
          message: r.StatusMessage,
        }));
      }),
    ),
  );
  // Resource policies: of the secrets with consumers configured, and of those keyrot gave one (tag).
  const consumersTag = tagName(config.tagPrefix, TAG.consumers);
  const limit = pLimit(READ_CONCURRENCY);
  await Promise.all(
    found.map((secret) => {
      const credential = secretCredential(secret, config);
      const configured = credential !== undefined && (config.consumers[credential]?.length ?? 0) > 0;
      if (!configured && secret.tags[consumersTag] === undefined) return undefined;
      return limit(async () => {
        const policy = await secrets.send(new GetResourcePolicyCommand({ SecretId: secret.arn }));
        secret.consumers = consumersOfPolicy(policy.ResourcePolicy);
      });
    }),
  );
  return found;
}
