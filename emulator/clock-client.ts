/**
 * The emulator's test-only routes over HTTP. Its simulated clock (GET/POST /_keyrot/clock, see
 * keyrot_moto/clock.py): what the CLI, the demo and tests use to agree with the time moto and the
 * Lambda containers run on. Its rotations, quota enforcement and Lambda figures, for tests and the bench.
 */
// moto routes by the credential scope: keyrot's test routes are served with API Gateway's.
const AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0';

/**
 * An emulator's simulated time, read or moved over HTTP (POST /_keyrot/clock). With an account, that
 * account's own clock (test files sharing one emulator each run on their own time); without, the
 * server's, which accounts without a clock of their own read. `account` in the answer: the account
 * whose own clock answered, null for the server's.
 */
export async function emulatorClock(
  endpoint: string,
  now?: Date,
  accountId?: string,
): Promise<{ now: Date; simulated: boolean; account: string | null }> {
  const res = await fetch(`${endpoint}/_keyrot/clock`, {
    method: now === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: AUTHORIZATION,
      ...(accountId !== undefined && { 'x-moto-account-id': accountId }),
    },
    ...(now !== undefined && { body: JSON.stringify({ now: now.toISOString() }) }),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`the emulator refused to ${now ? 'set' : 'read'} its clock (${res.status}): ${text}`);
  const body = JSON.parse(text) as { now: string; simulated: boolean; account?: string | null };
  return { now: new Date(body.now), simulated: body.simulated, account: body.account ?? null };
}

/**
 * Waits until the emulator's Secrets Manager runs no rotation (GET /_keyrot/rotations, test-only): its
 * asynchronous work, such as onboarding's configuration tests, is over. On AWS that takes seconds and
 * the next scheduled run comes hours later; a script that moves the clock a day on must wait for it.
 */
export async function rotationsSettled(endpoint: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${endpoint}/_keyrot/rotations`, { headers: { authorization: AUTHORIZATION } });
    if (((await res.json()) as { active: number }).active === 0) return;
    if (Date.now() > deadline) throw new Error(`the emulator's rotations still run after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface QuotaFigures {
  /** The enforced multiple of the quotas; null: not enforced. */
  scale: number | null;
  calls: Record<string, number>;
  throttled: Record<string, number>;
  /** The most requests API Gateway's shared bucket received in any 10 seconds, throttled ones included. */
  sharedPeak10s: number;
}

/**
 * The emulator's quota enforcement (test-only, keyrot_moto/quotas.py): `scale` turns it on at that
 * multiple of the quotas (null: off) and resets the counts; without it, reads one account's counts.
 */
export async function emulatorQuotas(
  endpoint: string,
  accountId: string,
  scale?: number | null,
): Promise<QuotaFigures> {
  const res = await fetch(`${endpoint}/_keyrot/quotas`, {
    method: scale === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: AUTHORIZATION,
      'x-moto-account-id': accountId,
    },
    ...(scale !== undefined && { body: JSON.stringify({ scale }) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`the emulator's quota route answered ${res.status}: ${text}`);
  return JSON.parse(text) as QuotaFigures;
}

export interface LambdaFigures {
  invocations: number;
  peakConcurrency: number;
  /** The write calls its invocations made, in order ("secretsmanager:PutSecretValue", "apigateway:POST /apikeys"). */
  writes: string[];
}

/** Per Lambda function of an account: invocations, the most that ran at once, their writes (test-only). */
export async function emulatorLambdaStats(
  endpoint: string,
  accountId: string,
): Promise<Record<string, LambdaFigures>> {
  const res = await fetch(`${endpoint}/_keyrot/lambda-stats`, {
    headers: { authorization: AUTHORIZATION, 'x-moto-account-id': accountId },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`the emulator's lambda-stats route answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { functions: Record<string, LambdaFigures> }).functions;
}
