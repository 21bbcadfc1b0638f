/**
 * S3 conditional writes as moto serves them, after the S3 user guide ("How to prevent
 * object overwrites with conditional writes"): PutObject with If-None-Match: * or If-Match: <ETag>
 * succeeds for exactly one of the writers that race on a key, the others get 412 PreconditionFailed
 * (or 409 ConditionalRequestConflict); a stale ETag is refused. The run lease relies on it; moto
 * keeps it without an extension (checked here, at 24 writers at once).
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
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
