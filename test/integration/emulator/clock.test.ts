/**
 * The emulator's clocks (keyrot_moto/clock.py): one per account, so test files sharing the run's
 * emulator each live on their own simulated calendar, whatever day the suite runs on. What AWS dates
 * by its own clock (a key's createdDate, a secret's CreatedDate and version dates) follows the clock of
 * the account it belongs to.
 */
import { APIGatewayClient, CreateApiKeyCommand, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { emulatorClock } from '../../../emulator/clock-client.js';
import {
  emulatorEndpoint,
  newAccountId,
  testClientConfig,
  withAccount,
} from '../../support/emulator-account.js';

const SECOND = 1000;
const near = (actual: Date | undefined, expected: Date, withinMs = 30 * SECOND) => {
  expect(actual).toBeInstanceOf(Date);
  expect(Math.abs(actual!.getTime() - expected.getTime())).toBeLessThan(withinMs);
};

function account(id: string) {
  return {
    apigw: withAccount(new APIGatewayClient(testClientConfig(id)), id),
    secrets: withAccount(new SecretsManagerClient(testClientConfig(id)), id),
  };
}

describe("an account's own clock", () => {
  it('dates what the account makes on its own simulated day, apart from every other account', async () => {
    const [a, b] = [newAccountId(), newAccountId()];
    const dayA = new Date('2026-01-01T03:00:00Z');
    const dayB = new Date('2031-06-15T12:00:00Z');
    expect(await emulatorClock(emulatorEndpoint(), dayA, a)).toMatchObject({ simulated: true, account: a });
    await emulatorClock(emulatorEndpoint(), dayB, b);
    for (const [id, day] of [
      [a, dayA],
      [b, dayB],
    ] as const) {
      const { apigw, secrets } = account(id);
      const key = await apigw.send(new CreateApiKeyCommand({ name: `k-${id}`, enabled: true }));
      near(key.createdDate, day);
      near((await apigw.send(new GetApiKeyCommand({ apiKey: key.id }))).lastUpdatedDate, day);
      const secret = await secrets.send(new CreateSecretCommand({ Name: `s-${id}`, SecretString: '{}' }));
      near((await secrets.send(new DescribeSecretCommand({ SecretId: secret.ARN }))).CreatedDate, day);
      const versions = await secrets.send(new ListSecretVersionIdsCommand({ SecretId: secret.ARN }));
      near(versions.Versions?.[0]?.CreatedDate, day);
    }
  });

  it('keeps running from where it was set, and can be set back', async () => {
    const id = newAccountId();
    const start = new Date('2028-02-29T23:59:59Z');
    await emulatorClock(emulatorEndpoint(), start, id);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = (await emulatorClock(emulatorEndpoint(), undefined, id)).now;
    expect(later.getTime() - start.getTime()).toBeGreaterThanOrEqual(1000);
    expect(later.toISOString().slice(0, 10)).toBe('2028-03-01');
    const earlier = new Date('2027-03-01T00:00:00Z');
    near((await emulatorClock(emulatorEndpoint(), earlier, id)).now, earlier, 5 * SECOND);
  });

  it('an account without a clock of its own reads the server clock, here the real one, which only an account may move', async () => {
    const id = newAccountId();
    const read = await emulatorClock(emulatorEndpoint(), undefined, id);
    expect(read).toMatchObject({ simulated: false, account: null });
    // The run's emulator runs on the machine's clock (faketime moves both, see scripts/any-date.ts).
    near(read.now, new Date());
    await expect(emulatorClock(emulatorEndpoint(), new Date('2030-01-01T00:00:00Z'))).rejects.toThrow(
      /give the account \(x-moto-account-id\) whose clock to move/,
    );
  });

  it('refuses an account id that is not 12 digits, and a time that is not ISO-8601', async () => {
    await expect(emulatorClock(emulatorEndpoint(), undefined, 'acme')).rejects.toThrow(/12-digit account id/);
    const res = await fetch(`${emulatorEndpoint()}/_keyrot/clock`, {
      method: 'POST',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0',
        'x-moto-account-id': newAccountId(),
      },
      body: JSON.stringify({ now: 'next tuesday' }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('ISO-8601');
  });
});
