import {
  UntagResourceCommand,
  UpdateApiKeyCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { TAG, formatInstant, tagName } from '../core/tags.js';
import { apiKeyArn, tagApiKey } from './api-keys.js';

/**
 * The one writer of each change of a key's state after its creation: disabled (and when), enabled
 * again. The disable window (I3) counts from the disabled-at tag, so every path that switches a key
 * off or on goes through here.
 */

const setEnabled = (apigw: APIGatewayClient, keyId: string, enabled: boolean) =>
  apigw.send(
    new UpdateApiKeyCommand({
      apiKey: keyId,
      patchOperations: [{ op: 'replace', path: '/enabled', value: String(enabled) }],
    }),
  );

/** Records when a key was found disabled (it starts its disable window then, never sooner). */
export async function recordDisabled(
  apigw: APIGatewayClient,
  keyId: string,
  prefix: string,
  at: Date,
  revoked = false,
): Promise<void> {
  await tagApiKey(apigw, keyId, {
    [tagName(prefix, TAG.disabledAt)]: formatInstant(at),
    // Revoked (it leaked): a rollback refuses to bring it back unless forced.
    ...(revoked && { [tagName(prefix, TAG.revokedAt)]: formatInstant(at) }),
  });
}

/**
 * Disables a key, then records when. A crash between the two leaves a disabled key without the
 * record: the next run records it then, which starts the window later, never sooner (I3).
 */
export async function disableKey(
  apigw: APIGatewayClient,
  keyId: string,
  prefix: string,
  at: Date,
  revoked = false,
): Promise<void> {
  await setEnabled(apigw, keyId, false);
  await recordDisabled(apigw, keyId, prefix, at, revoked);
}

/**
 * Drops a key's disable record (and any emergency grace or revocation): a later disable starts a
 * fresh window. Only a rollback forced past a revocation, or a key re-enabled by hand, gets here.
 */
export async function forgetDisabled(apigw: APIGatewayClient, keyId: string, prefix: string): Promise<void> {
  await apigw.send(
    new UntagResourceCommand({
      resourceArn: await apiKeyArn(apigw, keyId),
      tagKeys: [
        tagName(prefix, TAG.disabledAt),
        tagName(prefix, TAG.graceUntil),
        tagName(prefix, TAG.revokedAt),
      ],
    }),
  );
}

/** Enables a key again (a rollback) and forgets its disable record. */
export async function enableKey(
  apigw: APIGatewayClient,
  keyId: string,
  prefix: string,
  wasEnabled: boolean,
): Promise<void> {
  if (!wasEnabled) await setEnabled(apigw, keyId, true);
  await forgetDisabled(apigw, keyId, prefix);
}
