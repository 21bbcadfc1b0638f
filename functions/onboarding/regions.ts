import { CreateApiKeyCommand, GetUsagePlanCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { InputError, isAwsError, KeyrotError } from '../commons/errors.js';
import { attachKey, findKeyByName } from '../aws/api-keys.js';
import { observedPlan } from '../aws/inventory.js';
import type { Config } from '../core/config.js';
import type { ObservedPlan } from '../core/types.js';
import type { RegionalApis } from '../rotation/regions.js';

/** Another region of a credential and its usage plans there (plan ids are per region). */
export interface RegionPlans {
  region: string;
  usagePlanIds: string[];
}

/**
 * `<region>=<plan id>` arguments (keyrot onboard --region-plan), grouped by region in the order given.
 * The error names the argument that is not one.
 */
export function parseRegionPlans(args: readonly string[], home: string): RegionPlans[] {
  const out = new Map<string, string[]>();
  for (const arg of args) {
    const match = /^([a-z]{2}(?:-[a-z]+)+-\d+)=([A-Za-z0-9]+)$/.exec(arg);
    if (match === null) {
      throw new InputError(
        `--region-plan ${JSON.stringify(arg)} is not <region>=<usage plan id>, e.g. eu-west-1=a1b2c3`,
      );
    }
    const [, region, planId] = match as unknown as [string, string, string];
    if (region === home) {
      throw new InputError(`--region-plan ${arg}: ${home} is the home region; give its plans with --plan`);
    }
    out.set(region, [...new Set([...(out.get(region) ?? []), planId])]);
  }
  return [...out].map(([region, usagePlanIds]) => ({ region, usagePlanIds }));
}

/** The named plans of each other region as that region's API Gateway has them (missing ones left out). */
export async function readRegionPlans(
  apis: RegionalApis,
  regions: readonly RegionPlans[],
): Promise<Map<string, ObservedPlan[]>> {
  const out = new Map<string, ObservedPlan[]>();
  for (const { region, usagePlanIds } of regions) {
    const plans: ObservedPlan[] = [];
    for (const usagePlanId of usagePlanIds) {
      try {
        plans.push(observedPlan(await apis(region).send(new GetUsagePlanCommand({ usagePlanId }))));
      } catch (error) {
        if (!isAwsError(error, 'NotFoundException')) throw error;
      }
    }
    out.set(region, plans);
  }
  return out;
}

/** Every other region is one the stack drives (its role has grants there only). */
export function checkRegions(config: Config, credential: string, regions: readonly RegionPlans[]): void {
  const outside = regions.map((r) => r.region).filter((r) => !config.replicaRegions.includes(r));
  if (outside.length > 0) {
    throw new InputError(
      `credential ${credential}: region(s) ${outside.join(', ')} are not among this stack's replicaRegions (${config.replicaRegions.join(', ') || 'none'}); add them to keyrot:replicaRegions and deploy first`,
    );
  }
}

/**
 * The credential's first key in another region: the home key's value, name and tags, in the region's
 * plans. A key an earlier attempt made there is found by name (its value conflicts).
 */
export async function writeRegionKey(
  apigw: APIGatewayClient,
  input: {
    region: string;
    credential: string;
    name: string;
    value: string;
    tags: Record<string, string>;
    usagePlanIds: readonly string[];
    /** The home twin's description; absent: generation 1's (onboarding). */
    description?: string | undefined;
  },
): Promise<string> {
  let keyId: string | undefined;
  try {
    const key = await apigw.send(
      new CreateApiKeyCommand({
        name: input.name,
        description: input.description ?? `keyrot: credential ${input.credential}, generation 1`,
        enabled: true,
        value: input.value,
        tags: input.tags,
      }),
    );
    keyId = key.id;
  } catch (error) {
    if (!isAwsError(error, 'ConflictException')) throw error;
    keyId = (await findKeyByName(apigw, input.name))?.id;
    if (keyId === undefined) {
      throw new KeyrotError(
        `credential ${input.credential}: API Gateway in ${input.region} says a key with its value exists, but no key there is named ${input.name}; find it (aws apigateway get-api-keys --region ${input.region}) and delete or rename it, then run onboard again`,
        { cause: error },
      );
    }
  }
  if (keyId === undefined) throw new KeyrotError(`CreateApiKey in ${input.region} returned no id`);
  for (const usagePlanId of input.usagePlanIds) await attachKey(apigw, usagePlanId, keyId);
  return keyId;
}
