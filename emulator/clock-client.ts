/**
 * The emulator's simulated clock over HTTP (GET/POST /_keyrot/clock, see keyrot_moto/clock.py): what
 * the CLI, the demo and tests use to agree with the time moto and the Lambda containers run on.
 */
/** An emulator's simulated time, read or moved over HTTP (POST /_keyrot/clock). */
export async function emulatorClock(
  endpoint: string,
  now?: Date,
): Promise<{ now: Date; simulated: boolean }> {
  const res = await fetch(`${endpoint}/_keyrot/clock`, {
    method: now === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      // moto routes by the credential scope: the clock route is served with API Gateway's.
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0',
    },
    ...(now !== undefined && { body: JSON.stringify({ now: now.toISOString() }) }),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`the emulator refused to ${now ? 'set' : 'read'} its clock (${res.status}): ${text}`);
  const body = JSON.parse(text) as { now: string; simulated: boolean };
  return { now: new Date(body.now), simulated: body.simulated };
}
