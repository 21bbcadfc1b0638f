/** The harness itself: startEmulator/stop, per-test-file accounts, client configuration. */
import { APIGatewayClient, CreateApiKeyCommand, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython, startEmulator, startForkServer } from '../../../emulator/start.js';
import {
  accountPlugin,
  emulatorEndpoint,
  newAccountId,
  testClientConfig,
  withAccount,
} from '../../support/emulator-account.js';

describe('startEmulator', () => {
  it('starts a second server on a free loopback port, with the extension loaded, and stop() ends it', async () => {
    const emulator = await startEmulator();
    try {
      expect(emulator.endpoint).toBe(`http://127.0.0.1:${emulator.port}`);
      expect(emulator.endpoint).not.toBe(emulatorEndpoint());
      expect((await fetch(`${emulator.endpoint}/moto-api/data.json`)).status).toBe(200);
      // The extension's GetUsage route answers (plain moto has none): an unknown plan is a 404 NotFoundException.
      const usage = await fetch(
        `${emulator.endpoint}/usageplans/nope/usage?startDate=2026-01-01&endDate=2026-01-01`,
        {
          headers: {
            authorization:
              'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0',
          },
        },
      );
      expect([usage.status, usage.headers.get('x-amzn-errortype')]).toEqual([404, 'NotFoundException']);
    } finally {
      await emulator.stop();
    }
    await expect(fetch(`${emulator.endpoint}/moto-api/data.json`)).rejects.toThrow();
    await emulator.stop(); // a second stop() is harmless
  });

  it('binds loopback only', async () => {
    await expect(startEmulator({ host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
  });
});

describe('the fork server (emulators forked from a process that has imported moto)', () => {
  const key = async (endpoint: string) => {
    const client = new APIGatewayClient({ ...testClientConfig(newAccountId()), endpoint });
    const made = await client.send(new CreateApiKeyCommand({ name: 'k', enabled: true }));
    return { id: made.id, value: made.value };
  };

  it('forks each emulator: each answers with the extension, has ids and key values of its own, and stop() ends it', async () => {
    const lines: string[] = [];
    const forks = await startForkServer({ log: (line) => lines.push(line) });
    const env = { KEYROT_FORK_SERVER: forks.socket };
    try {
      const [a, b] = await Promise.all([startEmulator({ env }), startEmulator({ env })]);
      expect(lines.filter((l) => /^forked emulator \d+ for launcher \d+$/.test(l))).toHaveLength(2);
      // The extension's GetUsage route: a forked server installs the extension as a fresh one does.
      const usage = await fetch(
        `${a.endpoint}/usageplans/nope/usage?startDate=2026-01-01&endDate=2026-01-01`,
        {
          headers: {
            authorization:
              'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0',
          },
        },
      );
      expect(usage.headers.get('x-amzn-errortype')).toBe('NotFoundException');
      // Forked random generators would give both servers the same ids and values in the same order.
      const [fromA, fromB] = [await key(a.endpoint), await key(b.endpoint)];
      expect(fromA.id).not.toBe(fromB.id);
      expect(fromA.value).not.toBe(fromB.value);
      await a.stop();
      await expect(fetch(`${a.endpoint}/moto-api/data.json`)).rejects.toThrow();
      expect((await fetch(`${b.endpoint}/moto-api/data.json`)).status).toBe(200);
      await b.stop();
    } finally {
      await forks.stop();
    }
  });

  it('a launcher killed outright (SIGKILL) takes its forked emulator with it', async () => {
    const lines: string[] = [];
    const forks = await startForkServer({ log: (line) => lines.push(line) });
    try {
      const emulator = await startEmulator({ env: { KEYROT_FORK_SERVER: forks.socket } });
      const launcher = Number(/for launcher (\d+)/.exec(lines.join('\n'))?.[1]);
      process.kill(launcher, 'SIGKILL');
      await expect
        .poll(
          () =>
            fetch(`${emulator.endpoint}/moto-api/data.json`).then(
              () => 'up',
              () => 'gone',
            ),
          {
            timeout: 10_000,
          },
        )
        .toBe('gone');
      await emulator.stop();
    } finally {
      await forks.stop();
    }
  });

  it('without a fork server listening on the socket, the launcher starts the emulator itself', async () => {
    const emulator = await startEmulator({
      env: { KEYROT_FORK_SERVER: join(tmpdir(), 'keyrot-no-such.sock') },
    });
    try {
      expect((await fetch(`${emulator.endpoint}/moto-api/data.json`)).status).toBe(200);
    } finally {
      await emulator.stop();
    }
  });
});

describe('the extension itself', () => {
  const python = (code: string) =>
    spawnSync(findPython(), ['-c', code], {
      cwd: join(import.meta.dirname, '../../../emulator'),
      encoding: 'utf8',
    });

  it('refuses a moto version other than the one it patches, saying which and what to do', () => {
    const out = python("import moto, keyrot_moto\nmoto.__version__ = '9.9.9'\nkeyrot_moto.install()");
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(
      /written against moto 5\.2\.1 .* this Python has moto 9\.9\.9\. Install moto\[server\]==5\.2\.1/,
    );
  });

  it('install() twice wraps nothing twice', () => {
    const out = python(
      [
        'import keyrot_moto',
        'from moto.core.utils import convert_to_flask_response',
        'from moto.moto_api._internal.models import MotoAPIBackend',
        'from moto.awslambda.models import LambdaFunction',
        'keyrot_moto.install()',
        'first = (convert_to_flask_response.__call__, MotoAPIBackend.reset, LambdaFunction._invoke_lambda)',
        'keyrot_moto.install()',
        'print(first == (convert_to_flask_response.__call__, MotoAPIBackend.reset, LambdaFunction._invoke_lambda))',
      ].join('\n'),
    );
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('True');
  });

  it("moto's reset (POST /moto-api/reset) forgets the extension's state too: seeded usage, rotation history, quotas, account clocks", () => {
    const out = python(
      [
        'import keyrot_moto',
        'keyrot_moto.install()',
        'from keyrot_moto import usage, secrets_rotation, quotas, clock',
        "usage._DATA[('123456789012', 'us-east-1')] = {'plan': {}}",
        "clock.set_now(0, '123456789012')",
        "secrets_rotation._history.append({'secret': 's'})",
        'quotas._scale = 5.0',
        'from moto.moto_api._internal.models import moto_api_backend',
        'moto_api_backend.reset()',
        'print(len(usage._DATA), len(secrets_rotation._history), quotas._scale, len(clock._account_offsets))',
      ].join('\n'),
    );
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('0 0 None 0');
  });
});

describe('accounts', () => {
  it('newAccountId gives distinct 12-digit ids', () => {
    const ids = Array.from({ length: 500 }, () => newAccountId());
    for (const id of ids) expect(id).toMatch(/^\d{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('accountPlugin keeps each client in its own account', async () => {
    const [a, b] = [newAccountId(), newAccountId()];
    const inA = withAccount(new APIGatewayClient(testClientConfig(a)), a);
    const inB = new APIGatewayClient(testClientConfig(b));
    inB.middlewareStack.use(accountPlugin(b));
    await inA.send(new CreateApiKeyCommand({ name: 'only-in-a', enabled: true }));
    expect((await inA.send(new GetApiKeysCommand({}))).items?.map((k) => k.name)).toEqual(['only-in-a']);
    expect((await inB.send(new GetApiKeysCommand({}))).items ?? []).toEqual([]);
  });

  it('testClientConfig: the emulator endpoint, dummy credentials, one attempt; path-style for S3 on request', () => {
    const id = newAccountId();
    expect(testClientConfig(id)).toEqual({
      region: 'us-east-1',
      endpoint: emulatorEndpoint(),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    expect(testClientConfig(id, 'eu-west-1', { forcePathStyle: true })).toMatchObject({
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(() => testClientConfig('123')).toThrow(/12-digit/);
    expect(process.env.KEYROT_EMULATOR_ENDPOINT).toBe(emulatorEndpoint());
  });
});
