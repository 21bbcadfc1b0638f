/**
 * The emulator keeps a connection open between calls (emulator/keyrot_moto/keep_alive.py), as AWS's
 * endpoints do, and keyrot's clients share one pool of connections (functions/commons/clients.ts).
 */
import { GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/commons/clients.js';
import { accountPlugin, emulatorEndpoint, newAccountId } from '../../support/emulator-account.js';

const AUTH =
  'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0';
const accountId = newAccountId();
// One socket at most: every call after the first must go over the first one's connection or open anew.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  reused: boolean;
  port: number;
}

function call(
  method: string,
  path: string,
  options: { body?: string | string[]; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = new URL(path, emulatorEndpoint());
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: { authorization: AUTH, 'x-moto-account-id': accountId, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reused: req.reusedSocket,
            port: req.socket?.localPort ?? -1,
          }),
        );
      },
    );
    req.on('error', reject);
    // An array is sent as chunks (Transfer-Encoding: chunked), a string with its Content-Length.
    if (Array.isArray(options.body)) for (const part of options.body) req.write(part);
    else if (options.body !== undefined) {
      req.setHeader('content-length', Buffer.byteLength(options.body));
      req.write(options.body);
    }
    req.end();
  });
}

describe('keep-alive connections', () => {
  it('answers call after call on one connection and announces how long an idle one stays open', async () => {
    const listed = await call('GET', '/apikeys');
    const created = await call('POST', '/apikeys', {
      body: JSON.stringify({ name: 'kept-alive', enabled: true }),
      headers: { 'content-type': 'application/json' },
    });
    const again = await call('GET', '/apikeys');
    expect([listed.status, created.status, again.status]).toEqual([200, 201, 200]);
    expect([created.reused, again.reused]).toEqual([true, true]);
    expect(new Set([listed.port, created.port, again.port]).size).toBe(1);
    expect(again.headers.connection).not.toBe('close');
    expect(again.headers['keep-alive']).toBe('timeout=120');
    expect((JSON.parse(again.body) as { item: { name: string }[] }).item.map((k) => k.name)).toContain(
      'kept-alive',
    );
  });

  it('a body the server never reads is not taken for the next request line', async () => {
    // A GET whose body looks like a request: were it left in the stream, the next call would read it.
    const smuggled = await call('GET', '/usageplans', { body: 'DELETE /apikeys/x HTTP/1.1\r\n\r\n' });
    const next = await call('GET', '/apikeys');
    expect([smuggled.status, next.status]).toEqual([200, 200]);
    expect(next.reused).toBe(true);
    expect(next.port).toBe(smuggled.port);
    expect((JSON.parse(next.body) as { item: unknown[] }).item).toHaveLength(1);
  });

  it('a chunked body is answered and its connection closed (werkzeug reads it to the end only so)', async () => {
    const chunked = await call('POST', '/apikeys', {
      body: ['{"name": "chunked",', ' "enabled": true}'],
      headers: { 'content-type': 'application/json' },
    });
    expect(chunked.status).toBe(201);
    expect(chunked.headers.connection).toBe('close');
    const next = await call('GET', '/apikeys');
    expect(next.reused).toBe(false);
    expect((JSON.parse(next.body) as { item: { name: string }[] }).item.map((k) => k.name).sort()).toEqual([
      'chunked',
      'kept-alive',
    ]);
  });

  it("a run's fresh clients reuse the connections of the clients before them", async () => {
    // Every TCP connection this process opens is announced on this channel.
    const opened: number[] = [];
    const onSocket = (message: unknown) => {
      const socket = (message as { socket: { remotePort?: number; once(e: string, f: () => void): void } })
        .socket;
      socket.once('connect', () => opened.push(socket.remotePort ?? -1));
    };
    const port = Number(new URL(emulatorEndpoint()).port);
    const runs = async (n: number) => {
      for (let run = 0; run < n; run++) {
        const { apigw, secrets } = createClients({
          region: 'us-east-1',
          endpoint: emulatorEndpoint(),
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
          plugins: [accountPlugin(accountId)],
        });
        await apigw.send(new GetApiKeysCommand({}));
        await secrets.send(new ListSecretsCommand({}));
      }
    };
    await runs(1);
    subscribe('net.client.socket', onSocket);
    try {
      await runs(5);
    } finally {
      unsubscribe('net.client.socket', onSocket);
    }
    expect(opened.filter((p) => p === port)).toEqual([]);
  });
});
