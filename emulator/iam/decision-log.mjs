// The emulator's IAM decision log (KEYROT_IAM_LOG): one JSON line per decision, and the principal's
// policies each time they differ from the last logged, so scripts/iam-statement-coverage.ts can replay
// every call with one statement taken off. Written by the containers' gateways (gateway.mjs) and by the
// Lambda service's own uses of a role (lambda-service.mjs). ARNs, tags and names only; never a value.
import { appendFileSync } from 'node:fs';

/**
 * @param {string | undefined} logFile
 * @param {string} principal the role's ARN
 * @param {string} session the session's ARN (what the replay evaluates as)
 */
export function decisionLog(logFile, principal, session) {
  let loggedPolicies = '';
  function append(line) {
    if (logFile === undefined) return;
    try {
      appendFileSync(logFile, `${JSON.stringify(line)}\n`);
    } catch {
      // The log is a test aid: a full disk must not fail the call.
    }
  }
  return {
    /** The role's policies, when they differ from the last logged (for a replay). */
    policies(identityPolicies) {
      if (logFile === undefined) return;
      const text = JSON.stringify(identityPolicies);
      if (text === loggedPolicies) return;
      loggedPolicies = text;
      append({ kind: 'policies', principal, session, policies: identityPolicies });
    },
    /** One decision on one call (`service`, `operation`: what was called). */
    decision(call, decision) {
      append({
        kind: 'decision',
        time: new Date().toISOString(),
        principal,
        service: call.service,
        operation: call.operation,
        action: decision.action,
        resource: decision.resource,
        result: decision.result,
        context: decision.context ?? {},
        resourcePolicy: decision.resourcePolicy ?? null,
        // How long the decision took (what the emulator's IAM adds to the call, before forwarding).
        ...(decision.ms !== undefined && { ms: decision.ms }),
      });
    },
  };
}
