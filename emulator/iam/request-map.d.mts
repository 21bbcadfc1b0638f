// Types of request-map.mjs (plain JS: the Lambda containers run it with Node, without a TS loader).
export type Protocol = 'rest-json' | 'json' | 'rest-xml' | 'query';

export interface SignedRequest {
  method: string;
  /** As sent: URL-encoded, with its query. */
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
  account: string;
}

export interface Check {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface Mapping {
  service: string;
  operation: string;
  region: string;
  protocol: Protocol;
  checks: Check[];
  secret?: { id: string; kms?: string[]; rotationLambda?: string; creating?: boolean };
  kmsKey?: string;
  unmapped?: string;
  /** A check whose denial turns the service's 404 into a 403 (S3 GetObject without s3:ListBucket). */
  ifMissing?: Check;
}

export const SECRET: string;
export const KMS_KEY: string;
export function signingScope(
  headers: Record<string, string>,
): { region: string; service: string } | undefined;
export function mapRequest(req: SignedRequest): Mapping;
