import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/**
 * Lambda's DeadLetterErrors for a function in the hour from `since` (the account's clock): failed
 * asynchronous events that could not reach its dead-letter queue.
 */
export async function deadLetterErrors(
  cloudwatch: CloudWatchClient,
  functionName: string,
  since: Date,
): Promise<number> {
  const stats = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/Lambda',
      MetricName: 'DeadLetterErrors',
      Dimensions: [{ Name: 'FunctionName', Value: functionName }],
      StartTime: new Date(since.getTime() - 60_000),
      EndTime: new Date(since.getTime() + 3_600_000),
      Period: 60,
      Statistics: ['Sum'],
    }),
  );
  return (stats.Datapoints ?? []).reduce((sum, d) => sum + (d.Sum ?? 0), 0);
}
