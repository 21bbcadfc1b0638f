// One emulated Lambda execution environment ("container") for a Node.js function, started by
// keyrot_moto/lambda_runtime.py. It loads the handler module once (the init phase), then runs one
// invocation at a time, as Lambda does: a request is a JSON line on stdin, its answer a JSON line on
// the file descriptor ANSWER_FD (3 by default), so the function's own stdout and stderr stay its logs.
//
//   node lambda-container.mjs TASK_ROOT HANDLER [ANSWER_FD]   (HANDLER as configured: index.handler)
import { createWriteStream, existsSync } from 'node:fs';
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
  const { id, event, timeoutMs, requestId, clockOffsetMs: offset } = JSON.parse(line);
  clockOffsetMs = offset ?? 0;
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
    answer({ id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    answer({ id, ok: false, ...errorOf(error) });
  }
}
