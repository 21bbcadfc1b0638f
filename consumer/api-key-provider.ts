/**
 * The consumer's side of keyrot: read a credential's API key from its secret, through a cache with a
 * maximum age, and refresh it on demand (a 403 from API Gateway), one read at a time however many
 * requests ask. Errors and logs name the secret and version, never the key.
 *
 * The SDK directly, not Powertools Parameters' SecretsProvider: that one caches with a maximum age and
 * can force a fetch, but concurrent forced fetches each read the secret; here a refresh in flight is
 * shared, and the helper needs nothing the consumer does not already have (the SDK client).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export type Stage = 'AWSCURRENT' | 'AWSPREVIOUS';

/** Reads one staging label of a secret: the secret's JSON text and its version id. */
export type SecretReader = (secretId: string, stage: Stage) => Promise<{ text: string; version: string }>;

export interface ApiKeyProviderOptions {
  /** Where the secrets are; or `read`, to read them some other way. */
  secrets?: SecretsManagerClient;
  read?: SecretReader;
  /** The secrets' name prefix (keyrot's secretPrefix). @default 'keyrot/' */
  secretPrefix?: string;
  /**
   * How long a key read is used without reading it again. Choose it shorter than the grace of the
   * credential's policy: a key cached past the grace fails once the old key is disabled. @default 5 minutes
   */
  maxAgeMs?: number;
  clock?: () => number;
}

interface Cached {
  key: string;
  version: string;
  readAt: number;
}

/** An API key could not be read or is not a keyrot secret: names the secret and what is wrong, never a value. */
export class ApiKeyUnavailableError extends Error {
  override name = 'ApiKeyUnavailableError';
}

export class ApiKeyProvider {
  private readonly read: SecretReader;
  private readonly prefix: string;
  private readonly maxAgeMs: number;
  private readonly clock: () => number;
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<Cached>>();
  /** Reads of the secret made (a test and a metric can count them). */
  reads = 0;

  constructor(options: ApiKeyProviderOptions) {
    const secrets = options.secrets;
    const read = options.read ?? (secrets === undefined ? undefined : sdkReader(secrets));
    if (read === undefined)
      throw new Error('ApiKeyProvider needs `secrets` (a SecretsManagerClient) or `read`');
    this.read = read;
    this.prefix = options.secretPrefix ?? 'keyrot/';
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * The credential's key: AWSCURRENT from the cache while younger than maxAgeMs, else read. With
   * `refresh`, read again now (once for all callers waiting at that moment). AWSPREVIOUS is the key
   * being retired: it works only while its grace lasts.
   */
  async get(credential: string, options: { refresh?: boolean; stage?: Stage } = {}): Promise<string> {
    const stage = options.stage ?? 'AWSCURRENT';
    const id = `${this.prefix}${credential}`;
    const slot = `${id}\n${stage}`;
    const cached = this.cache.get(slot);
    if (options.refresh !== true && cached !== undefined && this.clock() - cached.readAt < this.maxAgeMs)
      return cached.key;
    return (await this.load(slot, id, stage)).key;
  }

  /** The version id of the key last read (for logs: never the key). */
  version(credential: string, stage: Stage = 'AWSCURRENT'): string | undefined {
    return this.cache.get(`${this.prefix}${credential}\n${stage}`)?.version;
  }

  private load(slot: string, id: string, stage: Stage): Promise<Cached> {
    const running = this.inFlight.get(slot);
    if (running !== undefined) return running;
    const reading = (async () => {
      this.reads++;
      const { text, version } = await this.read(id, stage);
      const entry = { key: parseKey(text, id, stage, version), version, readAt: this.clock() };
      this.cache.set(slot, entry);
      return entry;
    })().finally(() => this.inFlight.delete(slot));
    this.inFlight.set(slot, reading);
    return reading;
  }
}

function sdkReader(secrets: SecretsManagerClient): SecretReader {
  return async (secretId, stage) => {
    try {
      const answer = await secrets.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }),
      );
      return { text: answer.SecretString ?? '', version: answer.VersionId ?? '' };
    } catch (error) {
      const name = (error as Error).name;
      throw new ApiKeyUnavailableError(`secret ${secretId} (${stage}) cannot be read: ${name}`, {
        cause: error,
      });
    }
  };
}

function parseKey(text: string, secretId: string, stage: Stage, version: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiKeyUnavailableError(
      `secret ${secretId} version ${version} (${stage}) is not JSON: not a keyrot secret`,
    );
  }
  const key = (value as { apiKey?: unknown } | null)?.apiKey;
  if (typeof key !== 'string' || key.length < 20)
    throw new ApiKeyUnavailableError(
      `secret ${secretId} version ${version} (${stage}) has no apiKey field of 20 or more characters: not a keyrot secret`,
    );
  return key;
}
