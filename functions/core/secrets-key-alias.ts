import { createHash } from 'node:crypto';

/** Where every keyrot stack's secrets key alias lives; never under alias/aws/ (AWS's own). */
const ROOT = 'alias/keyrot-secrets/';
/** KMS's limit on an alias name. */
const MAX_ALIAS = 256;

/**
 * The alias of the stack's secrets key (RotationCore's SecretsKey) for a secretPrefix. Every region runs
 * the stack, so the home region names a replica's key by this alias without looking its ARN up.
 * One rule for infra and onboarding. secretPrefix is unique per keyrot stack in an account and region
 * (two stacks with one prefix would share secrets), so the alias is too: the prefix is encoded
 * one-to-one into alias characters (A-Z a-z 0-9 - kept, any other character `_` and its two hex
 * digits, `_` itself included). An encoding too long for an alias is cut and ends with `/` and a hash
 * of the prefix (no unhashed alias has a `/` after the root, so the two forms never meet).
 */
export function secretsKeyAlias(secretPrefix: string): string {
  const encoded = [...secretPrefix]
    .map((c) => (/[A-Za-z0-9-]/.test(c) ? c : `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .join('');
  if (ROOT.length + encoded.length <= MAX_ALIAS) return `${ROOT}${encoded}`;
  const hash = createHash('sha256').update(secretPrefix).digest('hex').slice(0, 16);
  return `${ROOT}${encoded.slice(0, MAX_ALIAS - ROOT.length - hash.length - 1)}/${hash}`;
}
