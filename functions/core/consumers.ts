/**
 * Consumers in other accounts: the roles allowed to read one credential's secret. The stack names
 * them (keyrot:consumers, in the configuration); the reconciler puts the resource policy on each
 * secret at run time, so the secret need not exist when the stack is deployed, and the policy names
 * the roles' accounts with a condition on the role, so the roles need not exist either (a policy
 * naming a role that does not exist is refused: MalformedPolicyDocumentException).
 */

export const CONSUMER_SID = 'ConsumerReadsItsOwnKey';
export const CONSUMER_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

/** arn:PARTITION:iam::ACCOUNT:root of a role's account: a principal that always exists. */
export function accountRoot(principalArn: string): string {
  const [, partition, , , account] = principalArn.split(':');
  return `arn:${partition}:iam::${account}:root`;
}

/** keyrot's statement: these roles (sorted, distinct) read the secret. */
function consumerStatement(principals: string[]): Statement {
  const roles = [...new Set(principals)].sort();
  return {
    Sid: CONSUMER_SID,
    Effect: 'Allow',
    Principal: { AWS: [...new Set(roles.map(accountRoot))].sort() },
    Action: CONSUMER_ACTIONS,
    // In a secret's resource policy, * is that secret.
    Resource: '*',
    Condition: { ArnEquals: { 'aws:PrincipalArn': roles } },
  };
}

type Statement = Record<string, unknown> & { Sid?: unknown };

/** The resource policy of a secret whose consumers are these roles, and nothing else. */
export function consumerPolicy(principals: string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [consumerStatement(principals)] });
}

/**
 * A secret's resource policy with keyrot's statement set to these roles (removed when none), every
 * other statement left exactly as it was: a security team's deny stays. Undefined when no statement
 * is left (the policy is deleted). A policy that is not a policy document is refused, never replaced.
 */
export function mergeConsumerPolicy(
  existing: string | undefined,
  principals: string[],
  secret: string,
): string | undefined {
  let doc: { Version?: unknown; Statement?: unknown } = {};
  if (existing !== undefined && existing !== '') {
    try {
      doc = JSON.parse(existing) as typeof doc;
    } catch {
      throw new Error(`secret ${secret}: its resource policy is not JSON; keyrot will not replace it`);
    }
  }
  const notDocument = () =>
    new Error(`secret ${secret}: its resource policy is not a policy document; keyrot will not replace it`);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw notDocument();
  const listed: unknown[] =
    doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (listed.some((s) => typeof s !== 'object' || s === null)) throw notDocument();
  const others = (listed as Statement[]).filter((s) => s.Sid !== CONSUMER_SID);
  const statements = principals.length === 0 ? others : [...others, consumerStatement(principals)];
  if (statements.length === 0) return undefined;
  return JSON.stringify({ ...doc, Version: doc.Version ?? '2012-10-17', Statement: statements });
}

/** The roles keyrot's statement of a secret's resource policy grants; [] without one. */
export function consumersOfPolicy(policy: string | undefined): string[] {
  if (policy === undefined || policy === '') return [];
  try {
    const doc = JSON.parse(policy) as {
      Statement?: { Sid?: string; Condition?: Record<string, Record<string, unknown>> }[];
    };
    const statement = (doc.Statement ?? []).find((s) => s.Sid === CONSUMER_SID);
    const roles = statement?.Condition?.ArnEquals?.['aws:PrincipalArn'];
    return (Array.isArray(roles) ? roles : typeof roles === 'string' ? [roles] : []).map(String).sort();
  } catch {
    return [];
  }
}
