import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { accountPlugin } from '../../support/emulator-account.js';
import { deadLetterErrors } from '../../support/lambda-metrics.js';
import { DEPLOYED_30D, deployedWorld, rotationsSettled, useTimedEmulator } from '../../support/deployed.js';
import { dropStatement } from '../../support/role-statements.js';
import { dayAt, type World } from '../../support/world.js';

/**
 * The DeadLetterQueueNotEmpty and ReconcilerErrors runbooks on the deployed path: a scheduled run that
 * fails every attempt. Lambda (the emulator's) retries it twice, then parks the event in the stack's
 * dead-letter queue with the role's sqs:SendMessage; the on-call engineer reads why from the message's
 * attributes and from the reconciler's logs, which reach CloudWatch Logs with the role's WriteOwnLogs.
 */
const emulator = useTimedEmulator();

/** What EventBridge Scheduler sends the reconciler (the schedule's input). */
const SCHEDULED = { source: 'aws.scheduler', 'detail-type': 'Scheduled Event' };

function deadLetterQueue(world: World) {
  const sqs = new SQSClient({
    region: world.region,
    endpoint: world.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  sqs.middlewareStack.use(accountPlugin(world.accountId));
  const url = async () =>
    (await sqs.send(new GetQueueUrlCommand({ QueueName: 'keyrot-DeadLetters' }))).QueueUrl!;
  return {
    /** aws sqs receive-message --attribute-names All --message-attribute-names All */
    async receive(): Promise<Message[]> {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: await url(),
          MaxNumberOfMessages: 10,
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      return out.Messages ?? [];
    },
    async purge(): Promise<void> {
      await sqs.send(new PurgeQueueCommand({ QueueUrl: await url() }));
    },
  };
}

/** The fields Logs Insights discovers in a log event: a JSON event's keys (none in a plain line). */
function fields(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The scheduled run, invoked as Scheduler invokes it: asynchronously. */
async function scheduledRunInBackground(world: World): Promise<void> {
  await world.clients().lambda.send(
    new InvokeCommand({
      FunctionName: world.deployment!.reconciler.arn,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(SCHEDULED)),
    }),
  );
}

describe('on-call drill: a scheduled run failed every attempt (DeadLetterQueueNotEmpty, ReconcilerErrors)', () => {
  it("the event waits in the dead-letter queue with Lambda's reason, the reconciler's logs name the missing permission; fixed, one run, the queue purged", async () => {
    const { world } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D);
    const reconciler = world.deployment!.reconciler;
    const queue = deadLetterQueue(world);
    // The cause: a hand edit took the reconciler's FindRunLease (s3:ListBucket) off its role.
    const undo = await dropStatement(world, reconciler.roleName, 'FindRunLease');
    await world.setClock(dayAt(30));
    await scheduledRunInBackground(world);

    // Diagnosis, DeadLetterQueueNotEmpty: the message's attributes say why (ErrorCode, ErrorMessage).
    const parked: Message[] = [];
    await expect.poll(async () => parked.push(...(await queue.receive())), { timeout: 30_000 }).toBe(1);
    expect(JSON.parse(parked[0]!.Body!)).toEqual(SCHEDULED);
    expect(parked[0]!.MessageAttributes?.ErrorCode?.StringValue).toBe('200');
    expect(parked[0]!.MessageAttributes?.ErrorMessage?.StringValue).toContain('s3:ListBucket');
    // ReconcilerErrors: Logs Insights on the reconciler's log group, level = "ERROR" (errorType, errorMessage).
    const errors = (await world.functionLogs()).map(fields).filter((line) => line.level === 'ERROR');
    expect(
      errors.filter((e) => e.message === 'Invoke Error' && String(e.errorMessage).includes('s3:ListBucket')),
      "the reconciler's log lines (delivered with its role's WriteOwnLogs) name the refused permission, once per attempt",
    ).toHaveLength(3);

    // Mitigation: fix the cause, run once (aws lambda invoke --payload '{}'), then empty the queue.
    await undo();
    const run = await world
      .clients()
      .lambda.send(
        new InvokeCommand({ FunctionName: reconciler.arn, Payload: new TextEncoder().encode('{}') }),
      );
    const answer = JSON.parse(new TextDecoder().decode(run.Payload)) as Record<string, unknown>;
    expect(run.FunctionError, JSON.stringify(answer)).toBeUndefined();
    expect(answer).toMatchObject({ failed: 0 });
    await rotationsSettled(world.endpoint);
    await queue.purge();
    expect(await queue.receive()).toEqual([]);
  });

  it("without the reconciler role's sqs:SendMessage the failed run's event is lost: Lambda counts it in DeadLetterErrors and the queue stays empty", async () => {
    const { world } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D);
    const reconciler = world.deployment!.reconciler;
    await dropStatement(world, reconciler.roleName, 'FindRunLease');
    await dropStatement(world, reconciler.roleName, { action: 'sqs:SendMessage' });
    await world.setClock(dayAt(30));
    const since = await world.clockNow();
    await scheduledRunInBackground(world);
    await expect
      .poll(() => deadLetterErrors(world.clients().cloudwatch, reconciler.name, since), { timeout: 30_000 })
      .toBe(1);
    expect(await deadLetterQueue(world).receive()).toEqual([]);
  });
});
