import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { strToU8, zipSync } from 'fflate';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { accountPlugin } from '../../support/emulator-account.js';
import { deadLetterErrors } from '../../support/lambda-metrics.js';
import { useTimedEmulator } from '../../support/deployed.js';
import { World } from '../../support/world.js';

/**
 * The Lambda service's own uses of a function's execution role on the emulator
 * (keyrot_moto/lambda_service_iam.py, lambda_dead_letters.py), as AWS does them: CreateFunction refuses
 * a dead-letter queue the role may not send to; the function's logs reach CloudWatch Logs only while the
 * role may write them; a failed asynchronous event goes to the queue with the role, or is dropped and
 * counted in DeadLetterErrors.
 */
const emulator = useTimedEmulator();

const HANDLER = `export const handler = async (event) => {
  console.log(JSON.stringify({ level: 'INFO', message: 'handled', marker: event.marker }));
  if (event.fail) throw new Error('failed on purpose: ' + event.fail);
  return { ok: true };
};`;
const ZIP = zipSync({ 'index.mjs': strToU8(HANDLER) });

function account() {
  const world = new World(undefined, { endpoint: emulator.endpoint() });
  const config = {
    region: world.region,
    endpoint: world.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  const withAccount = <C extends { middlewareStack: { use(p: ReturnType<typeof accountPlugin>): void } }>(
    client: C,
  ) => {
    client.middlewareStack.use(accountPlugin(world.accountId));
    return client;
  };
  const iam = withAccount(new IAMClient(config));
  const sqs = withAccount(new SQSClient(config));
  const logs = withAccount(new CloudWatchLogsClient(config));
  const { lambda, cloudwatch } = world.clients();
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${world.region}:${world.accountId}:${resource}`;

  /** A role Lambda may assume, with one inline policy of `statements` (replaced on each call). */
  async function role(name: string, statements: unknown[]): Promise<string> {
    const created = await iam
      .send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        }),
      )
      .then((out) => out.Role!.Arn!)
      .catch(() => `arn:aws:iam::${world.accountId}:role/${name}`);
    await setPolicy(name, statements);
    return created;
  }
  async function setPolicy(roleName: string, statements: unknown[]): Promise<void> {
    // No statement: no policy (IAM refuses an empty one).
    if (statements.length === 0) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'own' })).catch(() => {});
      return;
    }
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'own',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      }),
    );
  }
  const writeOwnLogs = (fn: string) => ({
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: arn('logs', `log-group:/aws/lambda/${fn}:*`),
  });
  const sendTo = (queueArn: string) => ({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn });
  async function queue(name: string) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    return { url: QueueUrl!, arn: arn('sqs', name) };
  }
  const createFunction = (name: string, roleArn: string, extra: Record<string, unknown> = {}) =>
    lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Role: roleArn,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Code: { ZipFile: ZIP },
        Timeout: 10,
        ...extra,
      }),
    );
  const invoke = (name: string, event: Record<string, unknown>, type: 'Event' | 'RequestResponse') =>
    lambda.send(
      new InvokeCommand({
        FunctionName: name,
        InvocationType: type,
        Payload: strToU8(JSON.stringify(event)),
      }),
    );
  async function logLines(fn: string): Promise<string[]> {
    const page = await logs
      .send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${fn}` }))
      .catch(() => ({ events: [] }));
    return (page.events ?? []).map((e) => e.message ?? '');
  }
  /** The function's log group, as a stack creates it (Lambda creates it only with logs:CreateLogGroup). */
  const logGroup = (fn: string) =>
    logs.send(new CreateLogGroupCommand({ logGroupName: `/aws/lambda/${fn}` }));
  return {
    world,
    sqs,
    cloudwatch,
    role,
    logGroup,
    setPolicy,
    writeOwnLogs,
    sendTo,
    queue,
    createFunction,
    invoke,
    logLines,
  };
}

describe("the Lambda service's uses of an execution role, on the emulator", () => {
  it('CreateFunction and UpdateFunctionConfiguration refuse a dead-letter queue the role may not send to (InvalidParameterValueException); the configuration shows the queue', async () => {
    const { role, setPolicy, sendTo, queue, createFunction, world } = account();
    const { lambda } = world.clients();
    const [first, second] = [await queue('dlq-one'), await queue('dlq-two')];
    const roleArn = await role('no-dead-letters', []);
    const refused = await createFunction('with-dlq', roleArn, {
      DeadLetterConfig: { TargetArn: first.arn },
    }).catch((error: Error) => error);
    expect(refused).toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'The provided execution role does not have permissions to call SendMessage on SQS',
    });
    await setPolicy('no-dead-letters', [sendTo(first.arn)]);
    await createFunction('with-dlq', roleArn, { DeadLetterConfig: { TargetArn: first.arn } });
    const moved = await lambda
      .send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: 'with-dlq',
          DeadLetterConfig: { TargetArn: second.arn },
        }),
      )
      .catch((error: Error) => error);
    expect(moved).toMatchObject({ name: 'InvalidParameterValueException' });
    const shown = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'with-dlq' }));
    expect(shown.DeadLetterConfig).toEqual({ TargetArn: first.arn });
  });

  it("delivers a function's logs with its role: none while it may not write them, then its lines and the runtime's Invoke Error (JSON format)", async () => {
    const { role, setPolicy, writeOwnLogs, createFunction, invoke, logLines, logGroup } = account();
    await logGroup('quiet');
    const roleArn = await role('quiet', []);
    await createFunction('quiet', roleArn, { LoggingConfig: { LogFormat: 'JSON' } });
    const first = await invoke('quiet', { marker: 'unheard' }, 'RequestResponse');
    expect(first.FunctionError).toBeUndefined();
    // Dropped without a word, as Lambda drops them: the invocation itself is fine.
    await sleep(1000);
    expect(await logLines('quiet')).toEqual([]);
    await setPolicy('quiet', [writeOwnLogs('quiet')]);
    const failed = await invoke('quiet', { marker: 'heard', fail: 'bad input' }, 'RequestResponse');
    expect(failed.FunctionError).toBeDefined();
    await expect.poll(async () => (await logLines('quiet')).length, { timeout: 10_000 }).toBe(2);
    const [handled, invokeError] = (await logLines('quiet')).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(handled).toMatchObject({ message: 'handled', marker: 'heard' });
    expect(invokeError).toMatchObject({
      level: 'ERROR',
      message: 'Invoke Error',
      errorType: 'Error',
      errorMessage: 'failed on purpose: bad input',
    });
  });

  it("a failed asynchronous event goes to the dead-letter queue with Lambda's attributes; without sqs:SendMessage it is dropped and DeadLetterErrors counts it", async () => {
    const { world, sqs, cloudwatch, role, setPolicy, writeOwnLogs, sendTo, queue, createFunction, invoke } =
      account();
    const dlq = await queue('dead-letters');
    const statements = [writeOwnLogs('failing'), sendTo(dlq.arn)];
    const roleArn = await role('failing', statements);
    await createFunction('failing', roleArn, { DeadLetterConfig: { TargetArn: dlq.arn } });
    const event = { marker: 'parked', fail: 'every attempt' };
    await invoke('failing', event, 'Event');
    const received = async () =>
      (
        await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlq.url,
            MessageAttributeNames: ['All'],
            WaitTimeSeconds: 1,
          }),
        )
      ).Messages ?? [];
    const messages: Message[] = [];
    await expect.poll(async () => messages.push(...(await received())), { timeout: 20_000 }).toBe(1);
    const [message] = messages;
    expect(JSON.parse(message!.Body!)).toEqual(event);
    expect(message!.MessageAttributes).toMatchObject({
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: 'failed on purpose: every attempt' },
      RequestID: { DataType: 'String', StringValue: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: message!.ReceiptHandle }));

    await setPolicy('failing', [writeOwnLogs('failing')]);
    const since = await world.clockNow();
    await invoke('failing', { marker: 'lost', fail: 'again' }, 'Event');
    await expect.poll(() => deadLetterErrors(cloudwatch, 'failing', since), { timeout: 20_000 }).toBe(1);
    expect(await received()).toEqual([]);
  });
});
