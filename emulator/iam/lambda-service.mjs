// The Lambda service's own uses of a function's execution role, authorized as IAM would: Lambda, not
// the function's code, delivers the function's logs to CloudWatch Logs and a failed asynchronous event
// to the dead-letter queue with the role, and checks at CreateFunction that the role may send to that
// queue. Those calls never pass a container's gateway (gateway.mjs): keyrot_moto/lambda_service_iam.py
// asks here, one long-lived process per emulator, a JSON line in and a JSON line out:
//
//   {"id", "role", "session", "account", "region", "policies": [{name, policy}], "use": {...}}
//   -> {"id", "result", "action", "resource"}   (the first check refused, else the last allowed)
//
// Each decision goes to KEYROT_IAM_LOG like a gateway's, so the statement coverage replay counts them.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decisionLog } from './decision-log.mjs';
import { callerContext, evaluate } from './evaluate.mjs';

/**
 * @typedef {{ kind: 'logs', group: string, stream: string, createGroup?: boolean }
 *   | { kind: 'dead-letter', target: string }} Use
 * @typedef {{ service: string, operation: string, action: string, resource: string }} ServiceCheck
 */

/**
 * The calls a use makes, with their IAM actions and resources (Service Authorization Reference:
 * CreateLogStream and PutLogEvents on the log stream, CreateLogGroup on the group; SendMessage on the
 * queue, Publish on the topic).
 * @param {Use} use
 * @returns {ServiceCheck[]}
 */
export function lambdaServiceChecks(use, region, account) {
  if (use.kind === 'logs') {
    const group = `arn:aws:logs:${region}:${account}:log-group:${use.group}`;
    const stream = `${group}:log-stream:${use.stream}`;
    const call = (operation, resource) => ({
      service: 'logs',
      operation,
      action: `logs:${operation}`,
      resource,
    });
    return [
      ...(use.createGroup === true ? [call('CreateLogGroup', group)] : []),
      call('CreateLogStream', stream),
      call('PutLogEvents', stream),
    ];
  }
  if (use.kind === 'dead-letter') {
    const sns = use.target.split(':')[2] === 'sns';
    return [
      sns
        ? { service: 'sns', operation: 'Publish', action: 'sns:Publish', resource: use.target }
        : { service: 'sqs', operation: 'SendMessage', action: 'sqs:SendMessage', resource: use.target },
    ];
  }
  throw new Error(`no such use of an execution role: ${JSON.stringify(use)}`);
}

const logs = new Map();

/** One request: each check of the use evaluated with the role's identity policies, in order. */
export function decideUse(request, logFile) {
  const { role, session, account, region, policies, use } = request;
  let log = logs.get(role);
  if (log === undefined) logs.set(role, (log = decisionLog(logFile, role, session)));
  log.policies(policies);
  let last = { result: 'Allowed', action: '', resource: '' };
  for (const check of lambdaServiceChecks(use, region, account)) {
    const context = callerContext(role, account, region);
    const result = evaluate({
      identityPolicies: policies,
      principal: session,
      account,
      action: check.action,
      resource: check.resource,
      context,
    });
    log.decision(check, { result, action: check.action, resource: check.resource, context });
    last = { result, action: check.action, resource: check.resource };
    if (result !== 'Allowed') break;
  }
  return last;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const logFile = process.env.KEYROT_IAM_LOG || undefined;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    const request = JSON.parse(line);
    let answer;
    try {
      answer = { id: request.id, ...decideUse(request, logFile) };
    } catch (error) {
      answer = { id: request.id, result: 'Error', action: '', resource: '', error: String(error) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
}
