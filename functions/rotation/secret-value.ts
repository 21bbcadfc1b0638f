import { randomInt } from 'node:crypto';
import * as z from 'zod';
import { SecretFormatError } from '../commons/errors.js';

/** What a credential's secret holds: consumers read `apiKey` from AWSCURRENT. */
const SecretValueSchema = z.object({
  credential: z.string().min(1),
  apiKey: z.string().min(20).max(128),
  /** Present when the key was adopted rather than created by a rotation (its name is not derived). */
  apiKeyId: z.string().min(1).optional(),
});
export type SecretValue = z.infer<typeof SecretValueSchema>;

export function formatSecretValue(value: SecretValue): string {
  return JSON.stringify(value);
}

/** Parses a secret version; the error names the secret, version and field, never the value. */
export function parseSecretValue(
  raw: string | undefined,
  secretName: string,
  versionId: string,
): SecretValue {
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    throw new SecretFormatError(
      `secret ${secretName} version ${versionId} is not JSON; expected {"credential": "...", "apiKey": "<20-128 characters>"}`,
    );
  }
  const parsed = SecretValueSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new SecretFormatError(
      `secret ${secretName} version ${versionId} has an unexpected shape (${fields})`,
    );
  }
  return parsed.data;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new API key value: 40 alphanumeric characters from a CSPRNG, like the ones API Gateway generates. */
export function generateKeyValue(length = 40): string {
  let value = '';
  for (let i = 0; i < length; i++) value += ALPHABET[randomInt(ALPHABET.length)];
  return value;
}

/** API key names derive from the secret version, so a retried step finds the key it created. */
export function keyNameFor(credential: string, versionId: string): string {
  return `keyrot-${credential}-${versionId}`;
}

/** The rotation's version id: derived in functions/core (pure), where the planner names each rotation. */
export { rotationToken } from '../core/credentials.js';
