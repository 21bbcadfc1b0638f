// One IAM decision, by @cloud-copilot/iam-simulate: the gateway's (gateway.mjs) and the statement
// coverage replay's (scripts/iam-statement-coverage.ts). runUnsafeSimulation, not runSimulation: in
// 0.1.173 the checked entry point drops context keys it can't match to the action's list, and it matches
// only `/`-variables (aws:ResourceTag/K), so kms:EncryptionContext:SecretARN never reached a condition.
// The mapping's actions and resources are checked against the reference by a unit test instead.
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';

const accountOf = (arn, fallback) => /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? fallback;

/**
 * @param {{ identityPolicies: { name: string, policy: unknown }[], principal: string, account: string,
 *   action: string, resource: string, context: Record<string, string | string[]>, resourcePolicy?: unknown }} request
 * @returns {'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied'}
 */
export function evaluate(request) {
  return runUnsafeSimulation(
    {
      identityPolicies: request.identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy:
        request.resourcePolicy === null || request.resourcePolicy === undefined
          ? undefined
          : createValidatedPolicy(request.resourcePolicy, validateResourcePolicy, {
              name: 'resource policy',
            }),
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: accountOf(request.resource, request.account) },
        contextVariables: request.context,
      },
    },
    {},
  );
}

/** The context keys IAM gives every call of a role's session (before the request's own). */
export function callerContext(roleArn, account, region) {
  return {
    'aws:PrincipalArn': roleArn,
    'aws:PrincipalAccount': account,
    'aws:PrincipalType': 'AssumedRole',
    'aws:RequestedRegion': region,
    'aws:SecureTransport': 'true',
  };
}
