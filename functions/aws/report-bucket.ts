import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { RunReport } from '../core/report.js';
import { reportFileNames, renderReport } from '../report/files.js';

const PREFIX = 'runs/';

/** runs/YYYY/MM/DD/<time>-<runId>.{json,csv,html}: one folder a day, so a period lists cheaply. */
function dayPrefix(iso: string): string {
  return `${PREFIX}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/`;
}

/** Stores the three forms; the bucket's Object Lock default retention makes them immutable. */
export async function putRunReport(s3: S3Client, bucket: string, report: RunReport): Promise<string[]> {
  const names = reportFileNames(report);
  const bodies = renderReport(report);
  const folder = dayPrefix(report.generatedAt);
  const objects = [
    { Key: `${folder}${names.json}`, Body: bodies.json, ContentType: 'application/json' },
    { Key: `${folder}${names.csv}`, Body: bodies.csv, ContentType: 'text/csv; charset=utf-8' },
    { Key: `${folder}${names.html}`, Body: bodies.html, ContentType: 'text/html; charset=utf-8' },
  ];
  // Object Lock buckets require an integrity checksum on every PutObject.
  await Promise.all(
    objects.map((o) => s3.send(new PutObjectCommand({ Bucket: bucket, ChecksumAlgorithm: 'SHA256', ...o }))),
  );
  return objects.map((o) => `s3://${bucket}/${o.Key}`);
}

/** The JSON run reports of the days from..to (inclusive). */
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
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: dayPrefix(day.toISOString()) },
    )) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.endsWith('.json')) continue;
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        reports.push(JSON.parse((await out.Body?.transformToString()) ?? '{}') as RunReport);
      }
    }
  }
  return reports;
}
