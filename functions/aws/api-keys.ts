import {
  CreateUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetUsagePlanCommand,
  paginateGetApiKeys,
  paginateGetUsagePlans,
  TagResourceCommand,
  type APIGatewayClient,
  type ApiKey,
} from '@aws-sdk/client-api-gateway';
import { partition } from '@aws-sdk/core/client';
import { isAwsError } from '../commons/errors.js';
import { apiGatewayArn } from '../core/arns.js';

/** Finds a key by its exact name (nameQuery is a prefix match). */
export async function findKeyByName(apigw: APIGatewayClient, name: string): Promise<ApiKey | undefined> {
  for await (const page of paginateGetApiKeys(
    { client: apigw, pageSize: 500 },
    { nameQuery: name, includeValues: false },
  )) {
    const match = page.items?.find((k) => k.name === name);
    if (match !== undefined) return match;
  }
  return undefined;
}

/**
 * Every key of a credential, in any state: the keys named under its name prefix (nameQuery is a prefix
 * match) whose credential tag names it, so another credential whose name extends this one is left out.
 */
export async function keysOfCredential(
  apigw: APIGatewayClient,
  namePrefix: string,
  credentialTag: { name: string; value: string },
): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  for await (const page of paginateGetApiKeys(
    { client: apigw, pageSize: 500 },
    { nameQuery: namePrefix, includeValues: false },
  )) {
    for (const key of page.items ?? [])
      if (key.tags?.[credentialTag.name] === credentialTag.value) keys.push(key);
  }
  return keys;
}

/**
 * A key keyrot manages: by its derived name (one call), else by its tags, so a key renamed by hand is
 * still found. The fallback reads every key (keys/500 calls); only a renamed key takes that path.
 */
export async function findManagedKey(
  apigw: APIGatewayClient,
  name: string,
  tags: Record<string, string>,
): Promise<ApiKey | undefined> {
  const named = await findKeyByName(apigw, name);
  if (named !== undefined) return named;
  for await (const page of paginateGetApiKeys({ client: apigw, pageSize: 500 }, { includeValues: false })) {
    const match = page.items?.find((k) => Object.entries(tags).every(([tag, v]) => k.tags?.[tag] === v));
    if (match !== undefined) return match;
  }
  return undefined;
}

/**
 * Puts a key into a usage plan; false when it was already there (a retry, or another run did it).
 * Every path that attaches a key goes through here.
 */
export async function attachKey(
  apigw: APIGatewayClient,
  usagePlanId: string,
  keyId: string,
): Promise<boolean> {
  try {
    await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'ConflictException')) return false;
    throw error;
  }
}

export async function getKey(apigw: APIGatewayClient, id: string): Promise<ApiKey | undefined> {
  try {
    return await apigw.send(new GetApiKeyCommand({ apiKey: id, includeValue: false }));
  } catch (error) {
    if (isAwsError(error, 'NotFoundException')) return undefined;
    throw error;
  }
}

export async function usagePlanExists(apigw: APIGatewayClient, usagePlanId: string): Promise<boolean> {
  try {
    await apigw.send(new GetUsagePlanCommand({ usagePlanId }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'NotFoundException')) return false;
    throw error;
  }
}

/** The usage plans a key is attached to (GetUsagePlans filtered by keyId). */
export async function plansOfKey(apigw: APIGatewayClient, keyId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateGetUsagePlans({ client: apigw, pageSize: 500 }, { keyId })) {
    for (const plan of page.items ?? []) if (plan.id !== undefined) ids.push(plan.id);
  }
  return ids.sort();
}

/** The key's ARN, in its region's partition (aws, aws-cn, aws-us-gov, ...), for TagResource. */
export async function apiKeyArn(apigw: APIGatewayClient, keyId: string): Promise<string> {
  const region = await apigw.config.region();
  return apiGatewayArn(partition(region).name, region, `/apikeys/${keyId}`);
}

export async function tagApiKey(
  apigw: APIGatewayClient,
  keyId: string,
  tags: Record<string, string>,
): Promise<void> {
  await apigw.send(new TagResourceCommand({ resourceArn: await apiKeyArn(apigw, keyId), tags }));
}
