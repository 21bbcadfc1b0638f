import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { isAwsError, KeyrotError } from '../commons/errors.js';
import type { RunReport } from '../core/report.js';
import { dayFolder, historyObjects, isRunReportKey } from '../report/files.js';

/**
 * Stores the three forms in the history's layout (report/files.ts: runs/YYYY/MM/DD/json|csv|html/,
 * the JSON on one line for Athena); the bucket's Object Lock default retention makes them immutable.
 * Written only where nothing is (If-None-Match: *, which the bucket policy requires): a report's key
 * never gets a second version that Athena and `keyrot report` would read instead.
 */
export async function putRunReport(s3: S3Client, bucket: string, report: RunReport): Promise<string[]> {
  const objects = historyObjects(report);
  await Promise.all(
    objects.map(async (o) => {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: o.key,
            Body: o.body,
            ContentType: o.contentType,
            // Object Lock buckets require an integrity checksum on every PutObject.
            ChecksumAlgorithm: 'SHA256',
            IfNoneMatch: '*',
          }),
        );
      } catch (error) {
        if (!isAwsError(error, 'PreconditionFailed')) throw error;
        throw new KeyrotError(
          `report s3://${bucket}/${o.key} exists already: keyrot never overwrites a report (run ${report.runId} was stored before, or another writer used its key)`,
          { cause: error },
        );
      }
    }),
  );
  return objects.map((o) => `s3://${bucket}/${o.key}`);
}

/**
 * The JSON run reports of the days from..to (inclusive), in the order of their keys: both layouts,
 * runs/YYYY/MM/DD/json/<stem>.json (one line) and the first one's runs/YYYY/MM/DD/<stem>.json
 * (pretty-printed).
 */
export async function listRunReports(
  s3: S3Client,
  bucket: string,
  from: Date,
  to: Date,
): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (
    let day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
    day <= to;
    day = new Date(day.getTime() + 86_400_000)
  ) {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: dayFolder(day.toISOString()) },
    )) {
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined && isRunReportKey(object.Key)) keys.push(object.Key);
      }
    }
    // A day's runs in time order whichever layout holds them (the file name starts with the run's time).
    keys.sort((a, b) => basename(a).localeCompare(basename(b)));
    for (const key of keys) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      reports.push(JSON.parse((await out.Body?.transformToString()) ?? '{}') as RunReport);
    }
  }
  return reports;
}

const basename = (key: string) => key.slice(key.lastIndexOf('/') + 1);
