import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isAwsError } from '../commons/errors.js';
import { RUN_LEASE_KEY, type LeaseObject } from '../core/run-lease.js';

/** The lease object: read it, or write it only if it is still what the caller saw. */
export interface LeaseStore {
  /** Where it is, for messages. */
  readonly where: string;
  read(): Promise<LeaseObject | undefined>;
  /** Writes where nothing is (`undefined`) or over the ETag seen; the new ETag, or undefined: lost the race. */
  write(text: string, over: string | undefined): Promise<string | undefined>;
}

/**
 * The lease in S3 with conditional writes: If-None-Match: * creates it, If-Match: <ETag> replaces it.
 * S3 answers 412 when the condition fails, 409 when another conditional write of the key is in flight,
 * and 404 when an If-Match finds no object: each means another run won.
 */
export function s3LeaseStore(s3: S3Client, bucket: string, key = RUN_LEASE_KEY): LeaseStore {
  return {
    where: `s3://${bucket}/${key}`,
    async read() {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return { etag: out.ETag ?? '', text: (await out.Body?.transformToString()) ?? '' };
      } catch (error) {
        if (isAwsError(error, 'NoSuchKey')) return undefined;
        throw error;
      }
    },
    async write(text, over) {
      try {
        const out = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: text,
            ContentType: 'application/json',
            ...(over === undefined ? { IfNoneMatch: '*' } : { IfMatch: over }),
          }),
        );
        return out.ETag ?? '';
      } catch (error) {
        if (isAwsError(error, 'PreconditionFailed', 'ConditionalRequestConflict', 'NoSuchKey'))
          return undefined;
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 409 || status === 404) return undefined;
        throw error;
      }
    },
  };
}
