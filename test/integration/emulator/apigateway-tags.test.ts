/** (a) Tagging API keys: TagResource, UntagResource and GetTags on arn:aws:apigateway:REGION::/apikeys/ID. */
import {
  CreateApiKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { describe, expect, it } from 'vitest';
import { apigatewayAccount, caught } from './helpers.js';

const { apigw, region } = apigatewayAccount();
const arn = (id: string, inRegion = region) => `arn:aws:apigateway:${inRegion}::/apikeys/${id}`;

async function newKey(name: string, tags?: Record<string, string>): Promise<string> {
  const key = await apigw.send(new CreateApiKeyCommand({ name, enabled: true, tags }));
  return key.id ?? '';
}

describe('API key tags', () => {
  it('TagResource merges with the tags given at creation; GetApiKey, GetApiKeys and GetTags show them', async () => {
    const id = await newKey('tagged', { team: 'payments' });
    const other = await newKey('untagged');
    await apigw.send(
      new TagResourceCommand({
        resourceArn: arn(id),
        tags: { 'keyrot:credential': 'orders', 'keyrot:generation': '2' },
      }),
    );
    await apigw.send(new TagResourceCommand({ resourceArn: arn(id), tags: { 'keyrot:generation': '3' } }));
    const expected = { team: 'payments', 'keyrot:credential': 'orders', 'keyrot:generation': '3' };

    expect((await apigw.send(new GetApiKeyCommand({ apiKey: id }))).tags).toEqual(expected);
    expect((await apigw.send(new GetTagsCommand({ resourceArn: arn(id) }))).tags).toEqual(expected);
    const listed = await apigw.send(new GetApiKeysCommand({ limit: 500 }));
    expect(listed.items?.find((k) => k.id === id)?.tags).toEqual(expected);
    // Only the tagged key changed.
    expect((await apigw.send(new GetTagsCommand({ resourceArn: arn(other) }))).tags).toEqual({});
  });

  it('UntagResource removes exactly the named keys (several tagKeys in one call)', async () => {
    const id = await newKey('untag-me', { a: '1', b: '2', c: '3' });
    await apigw.send(new UntagResourceCommand({ resourceArn: arn(id), tagKeys: ['a', 'c', 'not-there'] }));
    expect((await apigw.send(new GetTagsCommand({ resourceArn: arn(id) }))).tags).toEqual({ b: '2' });
    expect((await apigw.send(new GetApiKeyCommand({ apiKey: id }))).tags).toEqual({ b: '2' });
  });

  it('an unknown key, or a key ARN of another region, is NotFoundException (404) on all three', async () => {
    const id = await newKey('regional');
    for (const resourceArn of [arn('nosuchkey'), arn(id, 'eu-west-1')]) {
      for (const call of [
        () => apigw.send(new TagResourceCommand({ resourceArn, tags: { a: 'b' } })),
        () => apigw.send(new UntagResourceCommand({ resourceArn, tagKeys: ['a'] })),
        () => apigw.send(new GetTagsCommand({ resourceArn })),
      ]) {
        const error = await caught(call());
        expect(error?.name).toBe('NotFoundException');
        expect(error?.$metadata?.httpStatusCode).toBe(404);
      }
    }
  });

  it('a reserved (aws:) or over-long tag key is BadRequestException and changes nothing', async () => {
    const id = await newKey('strict', { keep: 'me' });
    const invalid: Record<string, string>[] = [
      { 'aws:owner': 'x' },
      { ['k'.repeat(129)]: 'x' },
      { ok: 'v'.repeat(257) },
    ];
    for (const tags of invalid) {
      const error = await caught(apigw.send(new TagResourceCommand({ resourceArn: arn(id), tags })));
      expect(error?.name).toBe('BadRequestException');
    }
    expect((await apigw.send(new GetTagsCommand({ resourceArn: arn(id) }))).tags).toEqual({ keep: 'me' });
  });

  it('UpdateApiKey moves lastUpdatedDate (hygiene reads it)', async () => {
    const id = await newKey('touched');
    const before = (await apigw.send(new GetApiKeyCommand({ apiKey: id }))).lastUpdatedDate;
    await new Promise((r) => setTimeout(r, 1100)); // moto keeps whole seconds
    await apigw.send(
      new UpdateApiKeyCommand({
        apiKey: id,
        patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
      }),
    );
    const after = await apigw.send(new GetApiKeyCommand({ apiKey: id }));
    expect(after.enabled).toBe(false);
    expect(after.lastUpdatedDate!.getTime()).toBeGreaterThan(before!.getTime());
  });
});
