/**
 * The emulator's quota enforcement (keyrot_moto/quotas.py), against the API Gateway and Secrets Manager
 * references: over the quota, API Gateway answers 429 TooManyRequestsException with Retry-After and
 * Secrets Manager 400 ThrottlingException; the SDK treats both as throttling and retries them. An
 * emulator of this file's own: enforcement is server-wide.
 */
import { APIGatewayClient, CreateApiKeyCommand, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorQuotas } from '../../../emulator/clock-client.js';
import { startEmulator, type Emulator } from '../../../emulator/start.js';
import { accountPlugin, newAccountId } from '../../support/emulator-account.js';
import { caught } from './helpers.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
}, 60_000);
afterAll(async () => {
  await emulator.stop();
});

function clients(accountId: string, maxAttempts = 1) {
  const config = {
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  };
  const apigw = new APIGatewayClient(config);
  const secrets = new SecretsManagerClient(config);
  apigw.middlewareStack.use(accountPlugin(accountId));
  secrets.middlewareStack.use(accountPlugin(accountId));
  return { apigw, secrets };
}

describe('quotas, when enforced', () => {
  it('are off by default: a burst over every quota goes through', async () => {
    const account = newAccountId();
    const { apigw } = clients(account);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => caught(apigw.send(new CreateApiKeyCommand({ name: `k${i}` })))),
    );
    expect(results.filter((r) => r !== undefined)).toEqual([]);
    expect((await emulatorQuotas(emulator.endpoint, account)).scale).toBeNull();
  });

  it('CreateApiKey: 5 at once go through, the sixth is 429 TooManyRequestsException with Retry-After, a throttling error', async () => {
    const account = newAccountId();
    await emulatorQuotas(emulator.endpoint, account, 1);
    try {
      const { apigw } = clients(account);
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => caught(apigw.send(new CreateApiKeyCommand({ name: `k${i}` })))),
      );
      const refused = results.filter((r) => r !== undefined);
      // The burst of 5, plus what the bucket refilled (5/s) while a busy machine was still sending.
      const refilled = Math.floor(((performance.now() - started) / 1000) * 5);
      expect(results.length - refused.length).toBeGreaterThanOrEqual(5);
      expect(results.length - refused.length).toBeLessThanOrEqual(Math.min(7, 5 + refilled));
      for (const error of refused) {
        expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['TooManyRequestsException', 429]);
        expect((error as { retryAfterSeconds?: string }).retryAfterSeconds).toBe('1');
      }
      // Other calls have their own, larger bucket (10/s, burst 40): reads still go through.
      expect(await caught(apigw.send(new GetApiKeysCommand({})))).toBeUndefined();
      const figures = await emulatorQuotas(emulator.endpoint, account);
      expect(figures.throttled).toEqual({ 'apigateway:CreateApiKey': refused.length });
      expect(figures.calls).toEqual({
        'apigateway:CreateApiKey': results.length - refused.length,
        'apigateway:GetApiKeys': 1,
      });
      // The SDK retries a throttled call with backoff: with its retries, a burst gets through in the end.
      const patient = clients(account, 10);
      const retried = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          caught(patient.apigw.send(new CreateApiKeyCommand({ name: `r${i}` }))),
        ),
      );
      expect(retried.filter((r) => r !== undefined)).toEqual([]);
    } finally {
      await emulatorQuotas(emulator.endpoint, account, null);
    }
  });

  it('per account: one account over its quota does not throttle another', async () => {
    const [a, b] = [newAccountId(), newAccountId()];
    await emulatorQuotas(emulator.endpoint, a, 1);
    try {
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          caught(clients(a).apigw.send(new CreateApiKeyCommand({ name: `a${i}` }))),
        ),
      );
      const other = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          caught(clients(b).apigw.send(new CreateApiKeyCommand({ name: `b${i}` }))),
        ),
      );
      expect(other.filter((r) => r !== undefined)).toEqual([]);
    } finally {
      await emulatorQuotas(emulator.endpoint, a, null);
    }
  });

  it('Secrets Manager TagResource over its quota (at a fifth: 10/s): ThrottlingException, which the SDK retries until it goes through; reads are not limited', async () => {
    const account = newAccountId();
    const strict = clients(account);
    const secret = await strict.secrets.send(new CreateSecretCommand({ Name: 'q', SecretString: 'x' }));
    await emulatorQuotas(emulator.endpoint, account, 0.2);
    try {
      const tag = (client: SecretsManagerClient, i: number) =>
        caught(
          client.send(
            new TagResourceCommand({ SecretId: secret.ARN, Tags: [{ Key: `t${i % 40}`, Value: String(i) }] }),
          ),
        );
      const once = await Promise.all(Array.from({ length: 60 }, (_, i) => tag(strict.secrets, i)));
      const refused = once.filter((r) => r !== undefined);
      expect(refused.length).toBeGreaterThanOrEqual(5);
      for (const error of refused) {
        expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['ThrottlingException', 400]);
      }
      const reads = await Promise.all(
        Array.from({ length: 80 }, () =>
          caught(strict.secrets.send(new DescribeSecretCommand({ SecretId: secret.ARN }))),
        ),
      );
      expect(reads.filter((r) => r !== undefined)).toEqual([]);
      // With the SDK's retries (backoff), every call gets through in the end.
      const patient = clients(account, 10);
      // (Not too many at once: the SDK's retry quota runs dry after some 100 throttled retries, as on AWS.)
      const retried = await Promise.all(Array.from({ length: 20 }, (_, i) => tag(patient.secrets, i)));
      expect(retried.filter((r) => r !== undefined)).toEqual([]);
      const figures = await emulatorQuotas(emulator.endpoint, account);
      expect(figures.throttled['secretsmanager:TagResource']).toBeGreaterThanOrEqual(refused.length);
    } finally {
      await emulatorQuotas(emulator.endpoint, account, null);
    }
  });

  it("counts what reached API Gateway's shared bucket in its busiest 10 seconds, throttled attempts included, CreateApiKey not", async () => {
    const account = newAccountId();
    await emulatorQuotas(emulator.endpoint, account, 1);
    try {
      const { apigw } = clients(account);
      await Promise.all(
        Array.from({ length: 3 }, (_, i) => apigw.send(new CreateApiKeyCommand({ name: `k${i}` }))),
      );
      const reads = await Promise.all(
        Array.from({ length: 60 }, () => caught(apigw.send(new GetApiKeysCommand({})))),
      );
      // The burst is 40: some of the 60 were refused, and all 60 count against the bucket.
      expect(reads.filter((r) => r !== undefined).length).toBeGreaterThan(0);
      expect((await emulatorQuotas(emulator.endpoint, account)).sharedPeak10s).toBe(60);
    } finally {
      await emulatorQuotas(emulator.endpoint, account, null);
    }
  });

  it('the scale multiplies every quota: at 2, ten CreateApiKey at once go through', async () => {
    const account = newAccountId();
    await emulatorQuotas(emulator.endpoint, account, 2);
    try {
      const { apigw } = clients(account);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => caught(apigw.send(new CreateApiKeyCommand({ name: `k${i}` })))),
      );
      // The burst of ten, and the bucket refills at 10/s while the calls arrive (a busy machine: slowly).
      const passed = results.filter((r) => r === undefined).length;
      expect(passed).toBeGreaterThanOrEqual(10);
      expect(passed).toBeLessThan(20);
    } finally {
      await emulatorQuotas(emulator.endpoint, account, null);
    }
  });
});
