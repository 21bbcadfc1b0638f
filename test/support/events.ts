import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { accountPlugin, emulatorEndpoint } from './emulator-account.js';

/** Every keyrot event on the default bus, delivered to an SQS queue the test reads. */
export async function captureEvents(accountId: string, region = 'us-east-1') {
  const config = {
    region,
    endpoint: emulatorEndpoint(),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const eventbridge = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  for (const c of [eventbridge, sqs]) c.middlewareStack.use(accountPlugin(accountId));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `keyrot-events-${Date.now()}` }));
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
    /** Drains the queue: the events delivered since the last call. */
    async received(): Promise<{ 'detail-type': string; detail: Record<string, unknown> }[]> {
      const events = [];
      for (;;) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10 }),
        );
        if ((out.Messages ?? []).length === 0) return events;
        for (const m of out.Messages ?? []) events.push(JSON.parse(m.Body ?? '{}'));
      }
    },
  };
}
