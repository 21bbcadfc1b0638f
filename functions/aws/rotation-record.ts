import {
  ListSecretVersionIdsCommand,
  TagResourceCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { TAG, tagName } from '../core/tags.js';
import { factsTags, type RotationFacts } from '../core/rotation-record.js';

/** Tags a secret: the one writer of keyrot's bookkeeping on secrets (Secrets Manager's tag budget). */
export async function tagSecret(
  secrets: SecretsManagerClient,
  secretId: string,
  tags: Record<string, string>,
): Promise<void> {
  await secrets.send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

/**
 * Marks `version` as the AWSCURRENT version whose rotation has been recorded (counted, announced,
 * reported). A tag on the secret: Secrets Manager's tagging quota is far from API Gateway's shared one.
 */
export async function markRecorded(
  secrets: SecretsManagerClient,
  secretId: string,
  version: string,
  prefix: string,
): Promise<void> {
  await tagSecret(secrets, secretId, { [tagName(prefix, TAG.recordedVersion)]: version });
}

/** When a version was created (RotateSecret records the pending one), or undefined when it is unknown. */
export async function versionCreated(
  secrets: SecretsManagerClient,
  secretId: string,
  version: string,
): Promise<Date | undefined> {
  let token: string | undefined;
  do {
    const page = await secrets.send(
      new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true, NextToken: token }),
    );
    const found = page.Versions?.find((v) => v.VersionId === version);
    if (found !== undefined) return found.CreatedDate;
    token = page.NextToken;
  } while (token !== undefined && token !== '');
  return undefined;
}

/**
 * Records what the reconciler knows of a rotation on its secret before starting it, so the rotation
 * function reads it there rather than in API Gateway's shared budget. Facts too long for a tag are not
 * recorded: the rotation function then looks them up.
 */
export async function recordFacts(
  secrets: SecretsManagerClient,
  secretId: string,
  facts: RotationFacts,
  prefix: string,
): Promise<void> {
  const tags = factsTags(prefix, facts);
  if (tags !== undefined) await tagSecret(secrets, secretId, tags);
}
