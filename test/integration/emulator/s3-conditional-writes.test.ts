/**
 * S3 conditional writes as moto serves them, after the S3 user guide ("How to prevent
 * object overwrites with conditional writes"): PutObject with If-None-Match: * or If-Match: <ETag>
 * succeeds for exactly one of the writers that race on a key, the others get 412 PreconditionFailed
 * (or 409 ConditionalRequestConflict); a stale ETag is refused. The run lease relies on it. moto checks
 * the condition and then writes: two racing writers could both win (CI saw two winners of 24, twice),
 * so the extension makes each object's writes one at a time (emulator/keyrot_moto/s3_conditional_writes.py).
 * The last case widens that gap on a server of its own, so the race shows on every run (three winners
 * of 24 without the extension).
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../../emulator/start.js';
import { newAccountId, testClientConfig, withAccount } from '../../support/emulator-account.js';
import { caught } from './helpers.js';

const accountId = newAccountId();
const s3 = withAccount(new S3Client({ ...testClientConfig(accountId), forcePathStyle: true }), accountId);
const bucket = `lease-${accountId}`;
await s3.send(new CreateBucketCommand({ Bucket: bucket }));

const put = (key: string, body: string, condition: { IfNoneMatch: '*' } | { IfMatch: string }) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...condition }));

describe('S3 conditional writes', () => {
  it('If-None-Match: * — of 24 writers at once, exactly one creates the object; the rest get 412', async () => {
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => caught(put('created.json', `writer ${i}`, { IfNoneMatch: '*' }))),
    );
    const winners = results.flatMap((r, i) => (r === undefined ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const error of results.filter((r) => r !== undefined))
      expect(['PreconditionFailed', 'ConditionalRequestConflict']).toContain(error.name);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'created.json' }))
    ).Body!.transformToString();
    expect(body).toBe(`writer ${winners[0]}`);
  });

  it('If-Match: <ETag> — of 24 writers over the same ETag, exactly one replaces it; a stale ETag is refused', async () => {
    const first = await put('replaced.json', 'v0', { IfNoneMatch: '*' });
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        caught(put('replaced.json', `writer ${i}`, { IfMatch: first.ETag! })),
      ),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    const stale = await caught(put('replaced.json', 'late', { IfMatch: first.ETag! }));
    expect([stale?.name, stale?.$metadata?.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    const missing = await caught(put('absent.json', 'x', { IfMatch: first.ETag! }));
    expect(missing?.$metadata?.httpStatusCode).toBe(404);
  });
});

describe('S3 conditional writes with a gap between the check and the write', () => {
  // A server of its own whose S3 waits 50 ms between moto's check and its write: without the extension
  // several writers pass the check before the first one stored (three of 24 here), on every run.
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ env: { KEYROT_S3_WRITE_DELAY_SECONDS: '0.05' } });
  }, 60_000);
  afterAll(async () => {
    await emulator.stop();
  });

  it('If-None-Match: * — still exactly one of 24 writers creates the object', async () => {
    const slow = withAccount(
      new S3Client({
        ...testClientConfig(accountId),
        endpoint: emulator.endpoint,
        forcePathStyle: true,
      }),
      accountId,
    );
    await slow.send(new CreateBucketCommand({ Bucket: bucket }));
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        caught(
          slow.send(
            new PutObjectCommand({ Bucket: bucket, Key: 'gap.json', Body: `writer ${i}`, IfNoneMatch: '*' }),
          ),
        ),
      ),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(results.filter((r) => r !== undefined).map((e) => e.$metadata?.httpStatusCode)).toEqual(
      Array.from({ length: 23 }, () => 412),
    );
  });
});
