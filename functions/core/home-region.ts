/**
 * One credential across regions (docs/multi-region.md): its secret is primary in its home region and
 * replicated to the others, and only the home region's stack acts on it. Another region's stack sees
 * the replica and the credential's keys there, reports them (`owned-in-region`) and acts on none.
 */
import type { Finding, ObservedSecret } from './types.js';

/** The region an ARN names (arn:partition:service:region:account:resource); undefined when none. */
export function arnRegion(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region === undefined || region === '' ? undefined : region;
}

/**
 * The home region of a secret this region holds a replica of: its PrimaryRegion, when that is not the
 * region of the secret's own ARN. Undefined for a secret owned here: a primary, or one never
 * replicated (Secrets Manager may name no PrimaryRegion then).
 */
export function homeRegionElsewhere(
  secret: Pick<ObservedSecret, 'arn' | 'primaryRegion'>,
): string | undefined {
  const here = arnRegion(secret.arn);
  const home = secret.primaryRegion;
  return home !== undefined && here !== undefined && home !== here ? home : undefined;
}

/** Why an on-call command refuses a credential owned elsewhere, and where to run it instead. */
export function ownedElsewhereRefusal(credential: string, secretName: string, home: string): string {
  return `credential ${credential} is owned in ${home}: secret ${secretName} here is a replica of its secret there, and only the keyrot stack of ${home} rotates, rolls back, suspends, resumes or onboards it, in every region; run it in ${home}, the credential's home region (--region ${home})`;
}

/** The one finding about a credential owned elsewhere: informational, nothing is planned for it here. */
export function ownedInRegion(
  c: { name: string; keys: { key: { id: string } }[]; unreadable: { id: string }[] },
  secret: Pick<ObservedSecret, 'name'>,
  home: string,
): Finding {
  const ids = [...c.keys.map((k) => k.key.id), ...c.unreadable.map((k) => k.id)].sort();
  const keys = ids.length === 0 ? 'no key of it is here' : `its key(s) here: ${ids.join(', ')}`;
  return {
    kind: 'owned-in-region',
    credential: c.name,
    action: 'report',
    message: `credential ${c.name}: owned in ${home}, its home region: secret ${secret.name} here is a replica, and the keyrot stack of ${home} rotates and retires the credential in every region; this region's stack acts on none of it (${keys}); on-call commands for it run in ${home}`,
  };
}
