export interface UsageRecord {
  usagePlanId: string;
  keyId: string;
  /** YYYY-MM-DD */
  date: string;
  used: number;
  remaining?: number;
}

/**
 * Seeds GetUsage data through the emulator's test-only route (not an AWS API):
 *   POST {endpoint}/_keyrot/usage   body: UsageRecord[]   header x-moto-account-id: the account
 * answered 200 {"seeded": N}, or 400 BadRequestException naming a malformed record (none is kept).
 * A later record for the same plan, key and date replaces the earlier one. Data is kept per account
 * and region; moto routes a request by its signature's credential scope, so the request carries an
 * (unchecked) apigateway one for `region`. Without an account: moto's default, 123456789012.
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
