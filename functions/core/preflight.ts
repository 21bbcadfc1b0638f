/**
 * keyrot preflight, the pure part: what an account must offer before keyrot is deployed or a
 * credential onboarded, judged from facts read beforehand. One verdict per check: pass, warn (works,
 * with something to know), fail (the deployment or the first runs would break).
 */
import type { Config } from './config.js';
import { TAG, tagName } from './tags.js';
import type { ObservedKey, ObservedSecret } from './types.js';

export type Verdict = 'pass' | 'warn' | 'fail';

export interface PreflightResult {
  check:
    | 'lambda-concurrency'
    | 'api-key-quota'
    | 'existing-names'
    | 'competing-rotation'
    | 'consumer-roles'
    | 'replica-regions';
  verdict: Verdict;
  message: string;
}

export interface PreflightFacts {
  /** Lambda GetAccountSettings. */
  lambda: { concurrentExecutions: number; unreservedConcurrentExecutions: number };
  /** Every API key's tags (GetApiKeys). */
  apiKeys: Pick<ObservedKey, 'id' | 'tags'>[];
  /** The secrets whose name starts with the secret prefix (ListSecrets). */
  secrets: Pick<ObservedSecret, 'name' | 'tags' | 'rotationEnabled' | 'rotationLambdaArn'>[];
  /** Consumer roles to check (--consumer): found in this account, or not. */
  consumers: { principalArn: string; found: boolean }[];
  /** Each replica region (replicaRegions): its API keys counted, or why it could not be read. */
  replicaRegions?: { region: string; apiKeys?: number | undefined; error?: string | undefined }[] | undefined;
}

/** Lambda keeps this much concurrency unreserved in an account; new accounts may have little more. */
const LAMBDA_MIN_UNRESERVED = 100;

export function preflight(facts: PreflightFacts, config: Config): PreflightResult[] {
  return [
    lambdaConcurrency(facts, config),
    apiKeyQuota(facts, config),
    existingNames(facts, config),
    competingRotation(facts, config),
    consumerRoles(facts),
    replicaRegions(facts, config),
  ];
}

function lambdaConcurrency({ lambda }: PreflightFacts, config: Config): PreflightResult {
  const check = 'lambda-concurrency';
  // The reconciler, a continuation of it, and one rotation function invocation per rotation in flight.
  const needed = config.pacing.rotationsInFlight + 2;
  const { unreservedConcurrentExecutions: free, concurrentExecutions: quota } = lambda;
  if (free < needed)
    return {
      check,
      verdict: 'fail',
      message: `${free} of the account's ${quota} concurrent Lambda executions are unreserved; keyrot needs ${needed} at once (the reconciler, a continuation, ${config.pacing.rotationsInFlight} rotations: pacing.rotationsInFlight). Lower pacing.rotationsInFlight, or ask AWS for a higher quota (Service Quotas: Lambda concurrent executions)`,
    };
  if (free < LAMBDA_MIN_UNRESERVED)
    return {
      check,
      verdict: 'warn',
      message: `${free} of ${quota} concurrent executions are unreserved: enough for keyrot (${needed} at once), but this is a new or low-quota account, where no function can reserve concurrency (Lambda keeps ${LAMBDA_MIN_UNRESERVED} unreserved); keyrot reserves none`,
    };
  return {
    check,
    verdict: 'pass',
    message: `${free} of ${quota} concurrent executions unreserved; keyrot needs ${needed} at once`,
  };
}

function apiKeyQuota({ apiKeys }: PreflightFacts, config: Config): PreflightResult {
  const check = 'api-key-quota';
  const { limit, headroom } = config.hygiene.quota;
  const n = apiKeys.length;
  if (n >= limit)
    return {
      check,
      verdict: 'fail',
      message: `${n} API keys of ${limit} (the region's quota): a rotation holds two keys of a credential for its grace, and there is no room for the second; delete unused keys or ask AWS for more`,
    };
  if (n > limit - headroom)
    return {
      check,
      verdict: 'warn',
      message: `${n} API keys of ${limit}: inside the ${headroom}-key headroom (hygiene.quota.headroom); rotations that would eat into it are refused until keys are retired`,
    };
  return { check, verdict: 'pass', message: `${n} API keys of ${limit}; headroom ${headroom}` };
}

function existingNames({ apiKeys, secrets }: PreflightFacts, config: Config): PreflightResult {
  const check = 'existing-names';
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  const foreign = secrets.filter((s) => s.tags[credentialTag] === undefined);
  if (foreign.length > 0)
    return {
      check,
      verdict: 'fail',
      message: `secret(s) ${foreign
        .slice(0, 5)
        .map((s) => s.name)
        .join(
          ', ',
        )}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ''} are named with keyrot's prefix ${JSON.stringify(config.secretPrefix)} but not keyrot's (no ${credentialTag} tag): keyrot would take them for credentials; choose another secretPrefix or rename them`,
    };
  const known = new Set<string>(Object.values(TAG).map((t) => tagName(config.tagPrefix, t)));
  const odd = apiKeys.filter((k) =>
    Object.keys(k.tags).some((t) => t.startsWith(config.tagPrefix) && !known.has(t)),
  );
  const managed = apiKeys.filter((k) => k.tags[credentialTag] !== undefined).length;
  if (odd.length > 0)
    return {
      check,
      verdict: 'warn',
      message: `API key(s) ${odd
        .slice(0, 5)
        .map((k) => k.id)
        .join(
          ', ',
        )} carry tags with keyrot's prefix ${JSON.stringify(config.tagPrefix)} that keyrot does not write: another tool uses the prefix; choose another tagPrefix to keep them apart`,
    };
  return {
    check,
    verdict: 'pass',
    message:
      secrets.length === 0 && managed === 0
        ? `no secret named ${config.secretPrefix}*, no key tagged ${credentialTag}: a first deployment`
        : `${secrets.length} secret(s) and ${managed} key(s) already keyrot's (a redeployment)`,
  };
}

function competingRotation({ secrets }: PreflightFacts, config: Config): PreflightResult {
  const check = 'competing-rotation';
  const expected = config.rotationLambdaArn;
  const others = secrets.filter(
    (s) => s.rotationEnabled && s.rotationLambdaArn !== undefined && s.rotationLambdaArn !== expected,
  );
  if (others.length === 0)
    return { check, verdict: 'pass', message: 'no secret of keyrot is rotated by another function' };
  const names = others
    .slice(0, 5)
    .map((s) => `${s.name} (${s.rotationLambdaArn})`)
    .join(', ');
  // Before the first deployment there is no keyrot function to compare with: said, not failed.
  return expected === undefined
    ? {
        check,
        verdict: 'warn',
        message: `Secrets Manager rotates ${names} with its own schedule and function; once keyrot is deployed it configures its own rotation function on them (set rotationLambdaArn to check against it)`,
      }
    : {
        check,
        verdict: 'fail',
        message: `Secrets Manager rotates ${names} with another function than keyrot's (${expected}): the two would rotate the same credential; the next keyrot run reconfigures them, or remove that rotation`,
      };
}

function consumerRoles({ consumers }: PreflightFacts): PreflightResult {
  const check = 'consumer-roles';
  if (consumers.length === 0)
    return { check, verdict: 'pass', message: 'no consumer role to check (--consumer <role ARN>)' };
  const missing = consumers.filter((c) => !c.found).map((c) => c.principalArn);
  // keyrot's grants name the role's account with a condition on the role, so a missing role fails
  // nothing; it just can't read its key until it exists.
  if (missing.length > 0)
    return {
      check,
      verdict: 'warn',
      message: `consumer role(s) ${missing.join(', ')} not found in this account: their grants are made anyway, and work once the roles exist (a role of another account: run keyrot preflight --consumer there)`,
    };
  return { check, verdict: 'pass', message: `${consumers.length} consumer role(s) exist` };
}

/** Every replica region answers and has room for a multi-region credential's second key (docs/multi-region.md). */
function replicaRegions({ replicaRegions: regions = [] }: PreflightFacts, config: Config): PreflightResult {
  const check = 'replica-regions';
  if (regions.length === 0)
    return {
      check,
      verdict: 'pass',
      message: 'no replica region (replicaRegions): every credential lives here',
    };
  const { limit, headroom } = config.hygiene.quota;
  const unreachable = regions.filter((r) => r.error !== undefined);
  if (unreachable.length > 0)
    return {
      check,
      verdict: 'fail',
      message: `${unreachable.map((r) => `${r.region} (${r.error})`).join(', ')}: API Gateway there can't be read, so rotations of credentials living there would stay pending; enable the region for the account (an opt-in region) or remove it from replicaRegions`,
    };
  const full = regions.filter((r) => (r.apiKeys ?? 0) >= limit);
  if (full.length > 0)
    return {
      check,
      verdict: 'fail',
      message: `${full.map((r) => `${r.region}: ${r.apiKeys} API keys of ${limit}`).join(', ')}: no room for a rotation's second key there; delete unused keys or ask AWS for more`,
    };
  const tight = regions.filter((r) => (r.apiKeys ?? 0) > limit - headroom);
  const counts = regions.map((r) => `${r.region}: ${r.apiKeys ?? 0} API keys of ${limit}`).join(', ');
  if (tight.length > 0)
    return {
      check,
      verdict: 'warn',
      message: `${counts}; ${tight.map((r) => r.region).join(', ')} inside the ${headroom}-key headroom`,
    };
  return { check, verdict: 'pass', message: counts };
}
