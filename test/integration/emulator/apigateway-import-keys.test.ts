/**
 * ImportApiKeys, which moto lacks (emulator/keyrot_moto/import_keys.py), after the API reference and
 * the developer guide's "API key file format": Name and Key columns in any order and case, optional
 * Enabled, Description and quoted UsagePlanIds; a value imported twice is the same key; bad rows are
 * warnings, or refuse the file with failonwarnings.
 */
import {
  CreateUsagePlanCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  ImportApiKeysCommand,
} from '@aws-sdk/client-api-gateway';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apigatewayAccount, caught } from './helpers.js';

const { apigw } = apigatewayAccount();
const file = (text: string) => new TextEncoder().encode(text);
const importKeys = (text: string, failOnWarnings = false) =>
  apigw.send(new ImportApiKeysCommand({ body: file(text), format: 'csv', failOnWarnings }));
const plan = async (name: string, apiId: string) =>
  (await apigw.send(new CreateUsagePlanCommand({ name, apiStages: [{ apiId, stage: 'prod' }] }))).id ?? '';
const planKeys = async (usagePlanId: string) =>
  ((await apigw.send(new GetUsagePlanKeysCommand({ usagePlanId }))).items ?? []).map((k) => k.id).sort();
// Values made up per run, as a key's value must never be written down (not even in a fixture).
const values = Array.from({ length: 8 }, () => randomBytes(20).toString('hex'));
const value = (n: number) => values[n]!;

describe('ImportApiKeys', () => {
  it('creates the keys of a CSV file (columns in any order and case), in their usage plans, in one call', async () => {
    const [gold, silver] = [await plan('gold', 'imp1'), await plan('silver', 'imp2')];
    const out = await importKeys(
      [
        'key,Name,DESCRIPTION,usageplanIds,Ignored',
        `${value(1)},first,one key,${gold},x`,
        `${value(2)},second,,"${gold},${silver}",y`,
      ].join('\n'),
    );
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.warnings ?? []).toEqual([]);
    expect(out.ids).toHaveLength(2);
    const [first, second] = out.ids!;
    const key = await apigw.send(new GetApiKeyCommand({ apiKey: first, includeValue: true }));
    expect(key).toMatchObject({ name: 'first', description: 'one key', enabled: true, value: value(1) });
    expect(await planKeys(gold)).toEqual([first, second].sort());
    expect(await planKeys(silver)).toEqual([second]);
  });

  it('a value imported again is the same key, overwritten (import is idempotent by value)', async () => {
    const first = await importKeys(`Name,Key,Enabled\nagain,${value(3)},true`);
    const second = await importKeys(`Name,Key,Enabled\nrenamed,${value(3)},false`);
    expect(second.ids).toEqual(first.ids);
    const key = await apigw.send(new GetApiKeyCommand({ apiKey: first.ids![0] }));
    expect(key).toMatchObject({ name: 'renamed', enabled: false });
    const named = (await apigw.send(new GetApiKeysCommand({ nameQuery: 'renamed', limit: 500 }))).items ?? [];
    expect(named).toHaveLength(1);
  });

  it('a bad row is a warning and is skipped; with failOnWarnings the file is refused and nothing imported', async () => {
    const text = [
      'Name,Key,UsagePlanIds',
      `fine,${value(4)},`,
      'short,too-short,',
      `lost,${value(5)},nosuchplan`,
    ].join('\n');
    const lenient = await importKeys(text);
    expect(lenient.ids).toHaveLength(1);
    expect(lenient.warnings).toEqual([
      'line 3: Key must be 20 to 128 characters',
      'line 4: usage plan(s) not found: nosuchplan',
    ]);
    const strict = await caught(importKeys(text.replace(value(4), value(6)), true));
    expect(strict?.name).toBe('BadRequestException');
    const all = (await apigw.send(new GetApiKeysCommand({ includeValues: true, limit: 500 }))).items ?? [];
    expect(all.map((k) => k.value)).not.toContain(value(6));
  });

  it('a file without the Name and Key columns is BadRequestException', async () => {
    const error = await caught(importKeys(`Key,Description\n${value(7)},no name column`));
    expect(error?.name).toBe('BadRequestException');
    expect(error?.message).toContain('Name and Key');
  });
});
