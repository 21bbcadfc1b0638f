/** (b) GetUsage: one [used, remaining] pair per day and key of the plan, paged over keys; seeded by tests. */
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  GetUsageCommand,
  paginateGetUsage,
  type QuotaSettings,
} from '@aws-sdk/client-api-gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_HEADER, emulatorEndpoint, seedUsage } from '../../support/emulator-account.js';
import { apigatewayAccount, caught } from './helpers.js';

const { apigw, accountId, region } = apigatewayAccount();

async function newPlan(name: string, quota?: QuotaSettings): Promise<string> {
  return (await apigw.send(new CreateUsagePlanCommand({ name, quota }))).id ?? '';
}

async function newKeyIn(planId: string | undefined, name: string): Promise<string> {
  const id = (await apigw.send(new CreateApiKeyCommand({ name, enabled: true }))).id ?? '';
  if (planId !== undefined) {
    await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: id, keyType: 'API_KEY' }));
  }
  return id;
}

describe('GetUsage', () => {
  let daily: string;
  let busy: string;
  let idle: string;
  let outside: string;
  beforeAll(async () => {
    daily = await newPlan('daily', { limit: 1000, period: 'DAY' });
    busy = await newKeyIn(daily, 'busy');
    idle = await newKeyIn(daily, 'idle');
    outside = await newKeyIn(undefined, 'not-in-plan');
    await seedUsage(accountId, region, [
      { usagePlanId: daily, keyId: busy, date: '2026-03-01', used: 10 },
      { usagePlanId: daily, keyId: busy, date: '2026-03-03', used: 7, remaining: 500 },
      // Data for a key that is not in the plan does not make it one of the plan's keys.
      { usagePlanId: daily, keyId: outside, date: '2026-03-01', used: 99 },
    ]);
  });

  it('answers every key of the plan, one pair per day from startDate to endDate inclusive', async () => {
    const usage = await apigw.send(
      new GetUsageCommand({ usagePlanId: daily, startDate: '2026-03-01', endDate: '2026-03-03' }),
    );
    expect(usage.usagePlanId).toBe(daily);
    expect(usage.startDate).toBe('2026-03-01');
    expect(usage.endDate).toBe('2026-03-03');
    expect(usage.position).toBeUndefined();
    expect(usage.items).toEqual({
      [busy]: [
        [10, 990],
        [0, 1000],
        [7, 500],
      ],
      [idle]: [
        [0, 1000],
        [0, 1000],
        [0, 1000],
      ],
    });
  });

  it('keyId narrows the answer to that key', async () => {
    const one = await apigw.send(
      new GetUsageCommand({
        usagePlanId: daily,
        startDate: '2026-03-01',
        endDate: '2026-03-01',
        keyId: busy,
      }),
    );
    expect(one.items).toEqual({ [busy]: [[10, 990]] });
  });

  it('pages over keys with limit and position; the last page has no position', async () => {
    const first = await apigw.send(
      new GetUsageCommand({ usagePlanId: daily, startDate: '2026-03-01', endDate: '2026-03-02', limit: 1 }),
    );
    expect(Object.keys(first.items ?? {})).toHaveLength(1);
    expect(first.position).toEqual(expect.any(String));
    const pages: Record<string, number[][]>[] = [];
    for await (const page of paginateGetUsage(
      { client: apigw, pageSize: 1 },
      { usagePlanId: daily, startDate: '2026-03-01', endDate: '2026-03-02' },
    )) {
      pages.push(page.items ?? {});
    }
    expect(pages).toHaveLength(2);
    expect(Object.assign({}, ...pages)).toEqual({
      [busy]: [
        [10, 990],
        [0, 1000],
      ],
      [idle]: [
        [0, 1000],
        [0, 1000],
      ],
    });
  });

  it('remaining counts down over the quota period (here a calendar month) and starts again with the next', async () => {
    const monthly = await newPlan('monthly', { limit: 100, period: 'MONTH' });
    const key = await newKeyIn(monthly, 'monthly-key');
    await seedUsage(accountId, region, [
      { usagePlanId: monthly, keyId: key, date: '2026-03-30', used: 10 },
      { usagePlanId: monthly, keyId: key, date: '2026-03-31', used: 5 },
      { usagePlanId: monthly, keyId: key, date: '2026-04-01', used: 1 },
    ]);
    const usage = await apigw.send(
      new GetUsageCommand({ usagePlanId: monthly, startDate: '2026-03-29', endDate: '2026-04-02' }),
    );
    expect(usage.items).toEqual({
      [key]: [
        [0, 100],
        [10, 90],
        [5, 85],
        [1, 99],
        [0, 99],
      ],
    });
  });

  it('a plan without keys answers no items; a plan without a quota reports 0 remaining', async () => {
    const empty = await newPlan('empty');
    const none = await apigw.send(
      new GetUsageCommand({ usagePlanId: empty, startDate: '2026-03-01', endDate: '2026-03-01' }),
    );
    expect(none.items).toEqual({});
    const key = await newKeyIn(empty, 'unmetered');
    await seedUsage(accountId, region, [{ usagePlanId: empty, keyId: key, date: '2026-03-01', used: 3 }]);
    const one = await apigw.send(
      new GetUsageCommand({ usagePlanId: empty, startDate: '2026-03-01', endDate: '2026-03-01' }),
    );
    expect(one.items).toEqual({ [key]: [[3, 0]] });
  });

  it('usage is kept per account and region: data seeded for another region does not show here', async () => {
    const plan = await newPlan('regional', { limit: 10, period: 'DAY' });
    const key = await newKeyIn(plan, 'regional-key');
    await seedUsage(accountId, 'eu-west-1', [{ usagePlanId: plan, keyId: key, date: '2026-03-01', used: 4 }]);
    const usage = await apigw.send(
      new GetUsageCommand({ usagePlanId: plan, startDate: '2026-03-01', endDate: '2026-03-01' }),
    );
    expect(usage.items).toEqual({ [key]: [[0, 10]] });
  });

  it('covers at most 90 days per call', async () => {
    const ninety = await apigw.send(
      new GetUsageCommand({
        usagePlanId: daily,
        startDate: '2026-01-01',
        endDate: '2026-03-31',
        keyId: idle,
      }),
    );
    expect(ninety.items?.[idle]).toHaveLength(90);
    const error = await caught(
      apigw.send(new GetUsageCommand({ usagePlanId: daily, startDate: '2026-01-01', endDate: '2026-04-01' })),
    );
    expect(error?.name).toBe('BadRequestException');
    expect(error?.$metadata?.httpStatusCode).toBe(400);
  });

  it.each([
    ['an end before the start', { startDate: '2026-03-02', endDate: '2026-03-01' }],
    ['a day that does not exist', { startDate: '2026-02-30', endDate: '2026-03-01' }],
    ['another date format', { startDate: '2026/03/01', endDate: '2026-03-01' }],
    ['a timestamp', { startDate: '2026-03-01T00:00:00Z', endDate: '2026-03-02' }],
  ])('%s is BadRequestException', async (_case, dates) => {
    const error = await caught(apigw.send(new GetUsageCommand({ usagePlanId: daily, ...dates })));
    expect(error?.name).toBe('BadRequestException');
  });

  it('an unknown plan is NotFoundException', async () => {
    const error = await caught(
      apigw.send(
        new GetUsageCommand({ usagePlanId: 'nope123', startDate: '2026-03-01', endDate: '2026-03-01' }),
      ),
    );
    expect(error?.name).toBe('NotFoundException');
    expect(error?.$metadata?.httpStatusCode).toBe(404);
  });

  it('the seeding route refuses a malformed record with 400 and keeps none of the batch', async () => {
    const plan = await newPlan('strict-seed', { limit: 10, period: 'DAY' });
    const key = await newKeyIn(plan, 'strict-key');
    await expect(
      seedUsage(accountId, region, [
        { usagePlanId: plan, keyId: key, date: '2026-03-01', used: 1 },
        { usagePlanId: plan, keyId: key, date: '01/03/2026', used: 1 },
      ]),
    ).rejects.toThrow(/HTTP 400/);
    const response = await fetch(`${emulatorEndpoint()}/_keyrot/usage`, {
      method: 'POST',
      headers: {
        [ACCOUNT_HEADER]: accountId,
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/apigateway/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ usagePlanId: plan, keyId: key, date: '2026-03-01', used: -1 }),
    });
    expect(response.status).toBe(400);
    const usage = await apigw.send(
      new GetUsageCommand({ usagePlanId: plan, startDate: '2026-03-01', endDate: '2026-03-01' }),
    );
    expect(usage.items).toEqual({ [key]: [[0, 10]] });
  });
});
