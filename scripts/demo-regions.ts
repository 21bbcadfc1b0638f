/**
 * The demo's two-region credential, read back after the year with plain SDK calls: AWSCURRENT of the
 * primary and of the replica, and each region's keys of the credential. Values are compared, never printed.
 */
import { paginateGetApiKeys, type APIGatewayClient, type ApiKey } from '@aws-sdk/client-api-gateway';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

interface RegionView {
  region: string;
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function currentValue(secrets: SecretsManagerClient, secretId: string): Promise<string | undefined> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  return (JSON.parse(out.SecretString ?? '{}') as { apiKey?: string }).apiKey;
}

/** Whether both regions agree on the credential: one summary line for the demo's output. */
export async function twoRegionSummary(
  credential: string,
  home: RegionView,
  other: RegionView,
): Promise<{ agrees: boolean; summary: string }> {
  const secretId = `keyrot/${credential}`;
  // Replication takes seconds: read the replica once the primary says it is in sync.
  for (let i = 0; i < 50; i++) {
    const { ReplicationStatus } = await home.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    if ((ReplicationStatus ?? []).every((r) => r.Status === 'InSync')) break;
    await sleep(200);
  }
  const value = await currentValue(home.secrets, secretId);
  const replicaAgrees = (await currentValue(other.secrets, secretId)) === value;
  const views: { region: string; keys: number; generation: string | undefined }[] = [];
  for (const { region, apigw } of [home, other]) {
    const keys: ApiKey[] = [];
    for await (const page of paginateGetApiKeys(
      { client: apigw },
      { nameQuery: `keyrot-${credential}-`, includeValues: true },
    ))
      keys.push(...(page.items ?? []));
    const current = keys.find((k) => k.value === value && k.enabled === true);
    views.push({ region, keys: keys.length, generation: current?.tags?.['rotation:generation'] });
  }
  const agrees =
    replicaAgrees && views.every((v) => v.generation !== undefined && v.generation === views[0]!.generation);
  return {
    agrees,
    summary:
      `two-region credential ${credential} (home ${home.region}, replica ${other.region}): ` +
      (agrees
        ? `generation ${views[0]!.generation} is current and works in both regions; the replica's AWSCURRENT is the primary's; `
        : `the regions DISAGREE (${JSON.stringify(views)}, replica ${replicaAgrees ? 'agrees' : 'differs'}); `) +
      `keys now: ${views.map((v) => `${v.region} ${v.keys}`).join(', ')} (older ones retired with their home twins)`,
  };
}
