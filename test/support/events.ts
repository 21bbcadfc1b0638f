import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { accountPlugin, emulatorEndpoint } from './emulator-account.js';

/** Every keyrot event on the default bus, delivered to an SQS queue the test reads. */
export async function captureEvents(accountId: string, region = 'us-east-1', endpoint = emulatorEndpoint()) {
  const config = {
    region,
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const eventbridge = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  for (const c of [eventbridge, sqs]) c.middlewareStack.use(accountPlugin(accountId));
  // The longest retention SQS allows: simulated days pass between a test's sends and its reads.
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `keyrot-events-${Date.now()}`,
      Attributes: { MessageRetentionPeriod: String(14 * 86_400) },
    }),
  );
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await eventbridge.send(
    new PutRuleCommand({ Name: 'keyrot-all', EventPattern: JSON.stringify({ source: ['keyrot'] }) }),
  );
  await eventbridge.send(
    new PutTargetsCommand({ Rule: 'keyrot-all', Targets: [{ Id: 'q', Arn: attrs.Attributes?.QueueArn }] }),
  );
  return {
    /**
     * Drains the queue: the events delivered since the last call, deleted once read (moto stops at the
     * first message past its retention instead of dropping it, so none may be left to grow old).
     */
    async received(): Promise<{ 'detail-type': string; detail: Record<string, unknown> }[]> {
      const events = [];
      for (;;) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10 }),
        );
        if ((out.Messages ?? []).length === 0) return events;
        for (const m of out.Messages ?? []) events.push(JSON.parse(m.Body ?? '{}'));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.QueueUrl,
            Entries: (out.Messages ?? []).map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    },
  };
}
