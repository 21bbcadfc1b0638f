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

/** The resource policy of a secret whose consumers are these roles (sorted, distinct). */
export function consumerPolicy(principals: string[]): string {
  const roles = [...new Set(principals)].sort();
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: CONSUMER_SID,
        Effect: 'Allow',
        Principal: { AWS: [...new Set(roles.map(accountRoot))].sort() },
        Action: CONSUMER_ACTIONS,
        // In a secret's resource policy, * is that secret.
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': roles } },
      },
    ],
  });
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
