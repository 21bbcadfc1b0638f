// One emulated Lambda execution environment ("container") for a Node.js function, started by
// keyrot_moto/lambda_runtime.py. It loads the handler module once (the init phase), then runs one
// invocation at a time, as Lambda does: a request is a JSON line on stdin, its answer a JSON line on
// the file descriptor ANSWER_FD (3 by default), so the function's own stdout and stderr stay its logs.
//
//   node lambda-container.mjs TASK_ROOT HANDLER [ANSWER_FD]   (HANDLER as configured: index.handler)
import { createWriteStream, existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [taskRoot, handlerSetting, answerFd = '3'] = process.argv.slice(2);
const answers = createWriteStream('', { fd: Number(answerFd) });
const answer = (message) => answers.write(`${JSON.stringify(message)}\n`);

function errorOf(error) {
  const e = error instanceof Error ? error : new Error(String(error));
  return { errorType: e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n').slice(1, 6) };
}

async function loadHandler() {
  const dot = handlerSetting.lastIndexOf('.');
  const base = handlerSetting.slice(0, dot);
  const name = handlerSetting.slice(dot + 1);
  // Lambda's Node.js runtime looks for .js, .mjs and .cjs, in that order.
  const file = ['.js', '.mjs', '.cjs'].map((ext) => join(taskRoot, base + ext)).find((f) => existsSync(f));
  if (file === undefined) throw new Error(`Runtime.ImportModuleError: Cannot find module '${base}'`);
  const module = await import(pathToFileURL(file).href);
  const handler = module[name] ?? module.default?.[name];
  if (typeof handler !== 'function')
    throw new Error(`Runtime.HandlerNotFound: ${handlerSetting} is undefined or not exported`);
  return handler;
}

// The emulator's simulated clock (keyrot_moto/clock.py): each invocation says how far it is from the
// real one, and Date follows, so the function reads the time moto runs on. No product code changes.
const RealDate = Date;
let clockOffsetMs = 0;
class EmulatorDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + clockOffsetMs);
    else super(...args);
  }
  static now() {
    return RealDate.now() + clockOffsetMs;
  }
}
globalThis.Date = EmulatorDate;

// The emulator's IAM (iam/gateway.mjs): the function's calls go through a gateway that authorizes each
// with the role's policies before moto sees it. Started before http.request is wrapped below (forwarding is
// not a call of the function's) and before the bundle loads (its SDK reads AWS_ENDPOINT_URL).
// lambda_runtime.py passes the role and the log file, and none of it when the server runs KEYROT_IAM=off.
let iam = null;
const iamRole = process.env.KEYROT_IAM_ROLE;
const iamLog = process.env.KEYROT_IAM_LOG;
// The gateway bundled into one file (emulator/iam/bundle.ts) when the emulator's starter built it.
const iamGateway = process.env.KEYROT_IAM_GATEWAY;
delete process.env.KEYROT_IAM_ROLE;
delete process.env.KEYROT_IAM_LOG;
delete process.env.KEYROT_IAM_GATEWAY;
if (iamRole !== undefined && iamRole !== '') {
  const { startIamGateway } = await import(
    iamGateway === undefined || iamGateway === '' ? './iam/gateway.mjs' : pathToFileURL(iamGateway).href
  );
  iam = await startIamGateway({
    upstream: process.env.AWS_ENDPOINT_URL,
    account: iamRole.split(':')[4],
    roleArn: iamRole,
    sessionName: String(process.env.AWS_LAMBDA_FUNCTION_NAME).slice(0, 64),
    ...(iamLog !== undefined && iamLog !== '' && { logFile: iamLog }),
  });
  process.env.AWS_ENDPOINT_URL = iam.endpoint;
}

// Test-only crash faults (POST /_keyrot/lambda-faults with "write"): the container dies just before the
// Nth write call of an invocation is sent, or just after AWS answered it: a crash between any two calls,
// inside the deployed bundle. Its SDK sends every request through http(s).request, patched here before
// the bundle loads. Each answer also says which write calls the invocation made.
let crash = null;
let writes = [];
function header(headers, name) {
  if (headers === undefined || headers === null) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : String(headers[key]);
}
function writeCall(options) {
  const method = String(options.method ?? 'GET').toUpperCase();
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(
    header(options.headers, 'authorization') ?? '',
  )?.[1];
  if (service === 'secretsmanager') {
    const operation = (header(options.headers, 'x-amz-target') ?? '').split('.').pop() ?? '';
    return /^(Get|Describe|List|BatchGet)/.test(operation) ? undefined : `secretsmanager:${operation}`;
  }
  if (service === 'apigateway' && method !== 'GET' && method !== 'HEAD')
    return `apigateway:${method} ${String(options.path ?? '').split('?')[0]}`;
  return undefined;
}
for (const module of [http, https]) {
  const original = module.request;
  module.request = function request(...args) {
    const options = args.find((a) => a !== null && typeof a === 'object' && !(a instanceof URL)) ?? {};
    const call = writeCall(options);
    if (call === undefined) return original.apply(this, args);
    writes.push(call);
    const fatal = crash !== null && writes.length === crash.atWrite;
    if (fatal && crash.when === 'before') process.kill(process.pid, 'SIGKILL');
    const req = original.apply(this, args);
    if (fatal) req.once('response', () => process.kill(process.pid, 'SIGKILL'));
    return req;
  };
}
syncBuiltinESMExports();

let handler;
try {
  handler = await loadHandler();
} catch (error) {
  answer({ id: null, init: false, ...errorOf(error) });
  process.exit(1);
}
answer({ id: null, init: true });

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  const {
    id,
    event,
    timeoutMs,
    requestId,
    clockOffsetMs: offset,
    crash: armed,
    iamGeneration,
  } = JSON.parse(line);
  clockOffsetMs = offset ?? 0;
  iam?.newInvocation(iamGeneration);
  crash = armed ?? null;
  writes = [];
  const deadlineMs = Date.now() + timeoutMs;
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: process.env.KEYROT_FUNCTION_ARN,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  try {
    const result = await handler(event, context);
    answer({ id, ok: true, result: result === undefined ? null : result, writes });
  } catch (error) {
    const failure = errorOf(error);
    logInvokeError(requestId, failure);
    answer({ id, ok: false, ...failure, writes });
  }
}

// A handler's error goes to the function's log as Lambda's Node.js runtime writes it (in the function's
// LoggingConfig format): what the runbooks' Logs Insights queries (level, errorType, errorMessage) read.
function logInvokeError(requestId, { errorType, errorMessage, trace }) {
  const timestamp = new Date().toISOString();
  const line =
    process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON'
      ? JSON.stringify({
          timestamp,
          level: 'ERROR',
          requestId,
          message: 'Invoke Error',
          errorType,
          errorMessage,
          stackTrace: trace,
        })
      : `${timestamp}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({ errorType, errorMessage, stack: trace })}`;
  process.stderr.write(`${line}\n`);
}
