import { describe, expect, it } from 'vitest';
import { ApiKeyProvider, keyrotFetch, type SecretReader, type Stage } from '../../consumer/index.js';

const KEY_A = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const KEY_B = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

/** A secret whose AWSCURRENT and AWSPREVIOUS the test sets; reads take a tick, as a network call does. */
function secret(current: string, previous?: string) {
  const state: Record<Stage, string | undefined> = { AWSCURRENT: current, AWSPREVIOUS: previous };
  const reads: string[] = [];
  const read: SecretReader = async (id, stage) => {
    reads.push(`${id} ${stage}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const key = state[stage];
    if (key === undefined) throw new Error(`no ${stage}`);
    return { text: JSON.stringify({ credential: 'acme', apiKey: key }), version: `v-${key[0]}` };
  };
  return { state, reads, read };
}

describe('ApiKeyProvider: the key from its secret, cached', () => {
  it('reads once, serves from the cache while younger than maxAgeMs, reads again after', async () => {
    let now = 0;
    const s = secret(KEY_A);
    const provider = new ApiKeyProvider({ read: s.read, maxAgeMs: 60_000, clock: () => now });
    expect(await provider.get('acme')).toBe(KEY_A);
    s.state.AWSCURRENT = KEY_B;
    now = 59_999;
    expect(await provider.get('acme')).toBe(KEY_A);
    now = 60_000;
    expect(await provider.get('acme')).toBe(KEY_B);
    expect(s.reads).toEqual(['keyrot/acme AWSCURRENT', 'keyrot/acme AWSCURRENT']);
    expect(provider.version('acme')).toBe('v-B');
  });

  it('a forced refresh reads now, however fresh the cache', async () => {
    const s = secret(KEY_A);
    const provider = new ApiKeyProvider({ read: s.read });
    await provider.get('acme');
    s.state.AWSCURRENT = KEY_B;
    expect(await provider.get('acme', { refresh: true })).toBe(KEY_B);
    expect(provider.reads).toBe(2);
  });

  it('single flight: fifty refreshes at once read the secret once', async () => {
    const s = secret(KEY_A);
    const provider = new ApiKeyProvider({ read: s.read });
    const keys = await Promise.all(Array.from({ length: 50 }, () => provider.get('acme', { refresh: true })));
    expect(new Set(keys)).toEqual(new Set([KEY_A]));
    expect(provider.reads).toBe(1);
  });

  it('errors name the secret, the version and what is wrong, never a value', async () => {
    const leaky = 'sk_live_SECRETSECRETSECRETSECRET';
    const provider = new ApiKeyProvider({
      read: async () => ({ text: JSON.stringify({ apiKey: 'short', other: leaky }), version: 'v9' }),
    });
    const error = (await provider.get('acme').catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ name: 'ApiKeyUnavailableError' });
    expect(error.message).toContain('keyrot/acme version v9');
    expect(error.message).not.toContain('short');
    expect(error.message).not.toContain(leaky);
    const garbled = new ApiKeyProvider({ read: async () => ({ text: `not json ${leaky}`, version: 'v9' }) });
    const second = (await garbled.get('acme').catch((e: unknown) => e)) as Error;
    expect(second.message).toMatch(/is not JSON/);
    expect(second.message).not.toContain(leaky);
  });
});

describe('keyrotFetch: through a rotation without a failed request', () => {
  /** An API stage that accepts exactly the keys the test says work. */
  function api(working: Set<string>) {
    const seen: string[] = [];
    const fetch = async (request: Request) => {
      const key = request.headers.get('x-api-key') ?? '';
      seen.push(`${key[0] ?? '-'} ${await request.clone().text()}`);
      return new Response(null, { status: working.has(key) ? 200 : 403 });
    };
    return { seen, fetch: fetch as unknown as typeof globalThis.fetch };
  }

  it('on 403 it reads the secret again and retries once with the new key, the body included', async () => {
    const s = secret(KEY_A);
    const provider = new ApiKeyProvider({ read: s.read });
    const stage = api(new Set([KEY_A]));
    const retries: string[] = [];
    const call = keyrotFetch(provider, 'acme', { fetch: stage.fetch, onRetry: (r) => retries.push(r) });
    expect((await call('https://api.example.com/orders', { method: 'POST', body: 'x=1' })).status).toBe(200);
    // Rotated, the old key retired: the cached key gets 403 once, the fresh one goes through.
    s.state.AWSCURRENT = KEY_B;
    const rotated = api(new Set([KEY_B]));
    const after = keyrotFetch(provider, 'acme', { fetch: rotated.fetch, onRetry: (r) => retries.push(r) });
    expect((await after('https://api.example.com/orders', { method: 'POST', body: 'x=2' })).status).toBe(200);
    expect(rotated.seen).toEqual(['A x=2', 'B x=2']);
    expect(retries).toEqual(['refreshed']);
  });

  it('a 403 that a fresh read does not change is answered as it is: no retry storm', async () => {
    const s = secret(KEY_A);
    const provider = new ApiKeyProvider({ read: s.read });
    const denied = api(new Set());
    const call = keyrotFetch(provider, 'acme', { fetch: denied.fetch });
    expect((await call('https://api.example.com/')).status).toBe(403);
    expect(denied.seen).toHaveLength(1);
    expect(provider.reads).toBe(2);
  });

  it('twenty requests meeting 403 at once share one read of the secret', async () => {
    const s = secret(KEY_A);
    const provider = new ApiKeyProvider({ read: s.read });
    await provider.get('acme');
    s.state.AWSCURRENT = KEY_B;
    const stage = api(new Set([KEY_B]));
    const call = keyrotFetch(provider, 'acme', { fetch: stage.fetch });
    const statuses = await Promise.all(Array.from({ length: 20 }, () => call('https://api.example.com/')));
    expect(statuses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(provider.reads).toBe(2);
  });

  it('with previousFallback, a new key not yet working falls back once to the key in its grace', async () => {
    const s = secret(KEY_B, KEY_A);
    const provider = new ApiKeyProvider({ read: s.read });
    // API Gateway takes a moment to accept a new key: only the previous one works yet.
    const stage = api(new Set([KEY_A]));
    const retries: string[] = [];
    const call = keyrotFetch(provider, 'acme', {
      fetch: stage.fetch,
      previousFallback: true,
      onRetry: (r) => retries.push(r),
    });
    expect((await call('https://api.example.com/')).status).toBe(200);
    expect(stage.seen.map((l) => l[0])).toEqual(['B', 'A']);
    expect(retries).toEqual(['previous']);
  });
});
