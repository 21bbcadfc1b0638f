/**
 * fetch with the credential's API key in x-api-key. On a 403 (the key was rotated and the one in hand
 * retired, or a new key not yet propagated), it reads the secret again (once, shared by every request
 * that met the 403 at that moment) and retries once with the key read; with `previousFallback`, a
 * request that still gets 403 tries AWSPREVIOUS once, the key in its grace. Never more: a consumer
 * that keeps failing must not storm the API or the secret.
 */
import type { ApiKeyProvider } from './api-key-provider.js';

export interface KeyrotFetchOptions {
  /** The fetch to wrap. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The header API Gateway reads the key from. @default 'x-api-key' */
  header?: string;
  /** After the refreshed key also got 403, try the previous key once (it works during its grace). */
  previousFallback?: boolean;
  /** Called for each retry (count them: a 403 answered by one refresh is not a failed request). */
  onRetry?: (reason: 'refreshed' | 'previous') => void;
}

export function keyrotFetch(provider: ApiKeyProvider, credential: string, options: KeyrotFetchOptions = {}) {
  const send = options.fetch ?? globalThis.fetch;
  const header = options.header ?? 'x-api-key';
  const attempt = (request: Request, key: string) => {
    const copy = request.clone();
    copy.headers.set(header, key);
    return send(copy);
  };
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // A Request can be cloned for a retry, its body included.
    const request = new Request(input, init);
    const key = await provider.get(credential);
    const first = await attempt(request, key);
    if (first.status !== 403) return first;
    const fresh = await provider.get(credential, { refresh: true });
    if (fresh === key && options.previousFallback !== true) return first;
    let last = first;
    if (fresh !== key) {
      options.onRetry?.('refreshed');
      last = await attempt(request, fresh);
      if (last.status !== 403) return last;
    }
    if (options.previousFallback === true) {
      const previous = await provider.get(credential, { stage: 'AWSPREVIOUS' }).catch(() => undefined);
      if (previous !== undefined && previous !== fresh && previous !== key) {
        options.onRetry?.('previous');
        return attempt(request, previous);
      }
    }
    return last;
  };
}
