import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Logger } from '@aws-lambda-powertools/logger';
import { EVENT_SOURCE, type KeyrotEvent } from '../core/events.js';

const PER_REQUEST = 10;

/** PutEvents in batches of 10. A failed entry is logged, never fatal: the run's work is done. */
export async function publishEvents(
  eventbridge: EventBridgeClient,
  busName: string,
  events: KeyrotEvent[],
  time: Date,
  log: Logger,
): Promise<number> {
  let failed = 0;
  for (let i = 0; i < events.length; i += PER_REQUEST) {
    const batch = events.slice(i, i + PER_REQUEST);
    const out = await eventbridge.send(
      new PutEventsCommand({
        Entries: batch.map((e) => ({
          Source: EVENT_SOURCE,
          DetailType: e.detailType,
          Detail: JSON.stringify(e.detail),
          EventBusName: busName,
          Time: time,
        })),
      }),
    );
    failed += out.FailedEntryCount ?? 0;
  }
  if (failed > 0) log.warn('some events were not published', { failed, total: events.length });
  return events.length - failed;
}
