import { errorMessage } from '../functions/commons/errors.js';

/** What went wrong in the CLI's environment, said with what to do, and whether it is bad input. */
export interface Explained {
  message: string;
  badInput: boolean;
}

const codeOf = (error: unknown): string | undefined => {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return String(e?.code ?? e?.cause?.code ?? '') || undefined;
};

/**
 * The SDK's errors about the endpoint, the region and the credentials, rewritten to name the fix;
 * undefined for any other error (the service's own messages already name the resource).
 */
export function explainEnvironmentError(error: unknown, endpoint: string | undefined): Explained | undefined {
  const message = errorMessage(error);
  const where = endpoint ?? 'AWS';
  if (codeOf(error) === 'ECONNREFUSED' || message.includes('ECONNREFUSED')) {
    return {
      message: `cannot reach ${where}: connection refused. For the local emulator, start it (npm run emulator) and pass the endpoint it prints with --endpoint-url; for AWS, leave --endpoint-url and AWS_ENDPOINT_URL unset and give --region`,
      badInput: false,
    };
  }
  // The SDK keeps the raw answer ($response) on S3's own errors too: only an answer it could not read
  // as a service error (no error code of the service's) says the endpoint is not AWS.
  const name = (error as Error | undefined)?.name ?? '';
  const unreadable = name === '' || name === 'Error' || name === 'UnknownError' || /^\d{3}$/.test(name);
  if (
    ((error as { $response?: unknown }).$response !== undefined && unreadable) ||
    message.includes('Deserialization error')
  ) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return {
      message: `${where} did not answer as an AWS API does${status === undefined ? '' : ` (HTTP ${status})`}: check --endpoint-url (or AWS_ENDPOINT_URL); keyrot's local emulator is started by npm run emulator`,
      badInput: true,
    };
  }
  if (message === 'Region is missing') {
    return { message: 'no AWS region: pass --region or set AWS_REGION', badInput: true };
  }
  if ((error as Error | undefined)?.name === 'CredentialsProviderError') {
    return {
      message:
        'no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); the local emulator (--endpoint-url http://127.0.0.1:PORT) needs none',
      badInput: true,
    };
  }
  return undefined;
}
