export interface UsageRecord {
  usagePlanId: string;
  keyId: string;
  /** YYYY-MM-DD */
  date: string;
  used: number;
  remaining?: number;
}

/**
 * Seeds GetUsage data through the emulator's test-only route. moto picks the service from the
 * signature's credential scope, so the request carries an (unchecked) apigateway one.
 */
export async function seedUsage(
  endpoint: string,
  records: UsageRecord[],
  options: { accountId?: string; region?: string } = {},
): Promise<void> {
  const region = options.region ?? 'us-east-1';
  const response = await fetch(`${endpoint}/_keyrot/usage`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.accountId !== undefined && { 'x-moto-account-id': options.accountId }),
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/apigateway/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(records),
  });
  if (!response.ok) throw new Error(`seeding usage failed: HTTP ${response.status} ${await response.text()}`);
}
