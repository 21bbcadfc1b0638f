import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { MetricPoint } from '../core/metrics.js';

const PER_REQUEST = 1000;

export async function publishMetrics(
  cloudwatch: CloudWatchClient,
  namespace: string,
  points: MetricPoint[],
  timestamp: Date,
): Promise<void> {
  for (let i = 0; i < points.length; i += PER_REQUEST) {
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: points.slice(i, i + PER_REQUEST).map((p) => ({
          MetricName: p.name,
          Value: p.value,
          Unit: p.unit,
          Timestamp: timestamp,
          ...(p.dimensions !== undefined && {
            Dimensions: Object.entries(p.dimensions).map(([Name, Value]) => ({ Name, Value })),
          }),
        })),
      }),
    );
  }
}
