import { paginateGetUsage, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import pLimit from 'p-limit';
import { addDays, day } from '../core/time.js';
import type { UsageWindow } from '../core/types.js';

/**
 * Per-plan reads in flight at once. Two keep up with the account's read quota (10 per second at
 * 100-200 ms a call); more only add parsed GetUsage pages (up to 100 KB of JSON each, a day-by-day
 * series per key) in memory at once: 8 at a time raised the peak RSS at 10,000 keys by ~30 MB.
 */
export const READ_CONCURRENCY = 2;

/** GetUsage answers at most 90 days per call. */
const MAX_DAYS = 90;

/**
 * Requests per key over the last `days` days (today included), merged across every usage plan.
 * One GetUsage call per plan, page and 90-day window: never one call per key.
 */
export async function readUsage(
  apigw: APIGatewayClient,
  planIds: string[],
  now: Date,
  days: number,
): Promise<UsageWindow> {
  const first = addDays(now, 1 - days);
  const window: UsageWindow = { from: day(first), to: day(now), requests: {}, lastUsed: {} };
  const chunks: { start: Date; end: Date }[] = [];
  for (let start = first; day(start) <= day(now); start = addDays(start, MAX_DAYS)) {
    const end = addDays(start, MAX_DAYS - 1);
    chunks.push({ start, end: day(end) < day(now) ? end : now });
  }
  const limit = pLimit(READ_CONCURRENCY);
  await Promise.all(
    planIds.flatMap((usagePlanId) =>
      chunks.map(({ start, end }) =>
        limit(async () => {
          const pages = paginateGetUsage(
            { client: apigw, pageSize: 500 },
            { usagePlanId, startDate: day(start), endDate: day(end) },
          );
          for await (const page of pages) {
            for (const [keyId, perDay] of Object.entries(page.items ?? {})) {
              perDay.forEach((entry, index) => {
                const used = entry[0] ?? 0;
                if (used <= 0) return;
                window.requests[keyId] = (window.requests[keyId] ?? 0) + used;
                const date = day(addDays(start, index));
                const last = window.lastUsed[keyId];
                if (last === undefined || date > last) window.lastUsed[keyId] = date;
              });
            }
          }
        }),
      ),
    ),
  );
  return window;
}
