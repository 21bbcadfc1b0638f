import type { Config } from '../core/config.js';
import {
  indexCredentials,
  resolvePolicy,
  versionWithStage,
  type Credential,
  type ManagedKey,
} from '../core/credentials.js';
import type { Policy } from '../core/config.js';
import type { Inventory, ObservedSecret } from '../core/types.js';
import { InputError, KeyrotError } from '../commons/errors.js';
import { STAGE } from '../core/stages.js';
import { ownedElsewhereRefusal } from '../core/home-region.js';

export interface CredentialState {
  credential: Credential;
  secret: ObservedSecret;
  current: ManagedKey;
  currentVersion: string;
  pendingVersion: string | undefined;
  previous: ManagedKey | undefined;
  policy: Policy;
}

/** One credential as the on-call commands need it; a clear error when it can't be acted on. */
export function findCredential(inventory: Inventory, config: Config, name: string): CredentialState {
  const index = indexCredentials(inventory, config);
  const credential = index.credentials.find((c) => c.name === name);
  if (credential === undefined) {
    const known = index.credentials.map((c) => c.name);
    throw new InputError(
      `credential ${JSON.stringify(name)} not found${known.length > 0 ? `; known: ${known.slice(0, 20).join(', ')}` : ''}`,
    );
  }
  const secret = credential.secret;
  if (secret === undefined)
    throw new KeyrotError(`credential ${name}: no secret ${config.secretPrefix}${name}`);
  // Its home region's stack acts on it, in every region: an operator here is in the wrong region.
  if (credential.homeRegion !== undefined)
    throw new InputError(ownedElsewhereRefusal(name, secret.name, credential.homeRegion));
  if (secret.deletedDate !== undefined) {
    throw new KeyrotError(
      `credential ${name}: secret ${secret.name} is scheduled for deletion; restore it first (runbooks/restore-deleted-secret.md)`,
    );
  }
  const currentVersion = versionWithStage(secret, STAGE.current);
  const current = credential.keys.find((k) => k.version !== undefined && k.version === currentVersion);
  if (current === undefined || currentVersion === undefined) {
    throw new KeyrotError(`credential ${name}: no API key carries the AWSCURRENT version of ${secret.name}`);
  }
  const pending = versionWithStage(secret, STAGE.pending);
  const previousVersion = versionWithStage(secret, STAGE.previous);
  const choice = resolvePolicy(current, config);
  if (!choice.ok) throw new InputError(choice.finding.message);
  return {
    credential,
    secret,
    current,
    currentVersion,
    pendingVersion: pending !== currentVersion ? pending : undefined,
    previous: credential.keys.find((k) => k.version !== undefined && k.version === previousVersion),
    policy: choice.policy,
  };
}
