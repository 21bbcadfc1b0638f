import { Duration } from 'aws-cdk-lib/core';
import type { OrganizationConfig } from './organization-app.js';

/**
 * An example organization: production OUs rotate every 30 days in two regions, sandboxes every 90 in
 * one, and every account's reports go to the log-archive account. Replace the ids with yours.
 */
export const EXAMPLE_ORGANIZATION: OrganizationConfig = {
  organizationId: 'o-a1b2c3d4e5',
  administration: { account: '111111111111', region: 'us-east-1' },
  assetBucketPrefix: 'acme-keyrot-assets-111111111111',
  history: { account: '222222222222', region: 'us-east-1', bucketName: 'acme-keyrot-history-222222222222' },
  deployments: [
    {
      name: 'production',
      organizationalUnits: ['ou-ab12-prod0001', 'ou-ab12-prod0002'],
      regions: ['us-east-1', 'eu-west-1'],
      rotation: {
        config: { defaultPolicy: '30d', hygiene: { unused: { action: 'report', days: 90 } } },
        schedule: { hour: 3, timeZone: 'Etc/UTC', flexibleWindow: Duration.minutes(30) },
        reportBucket: { retentionDays: 400, lockMode: 'COMPLIANCE' },
        runbookBaseUrl: 'https://github.com/acme/keyrot/blob/main/runbooks/',
      },
      operationPreferences: { failureTolerancePercentage: 10, maxConcurrentPercentage: 25 },
    },
    {
      name: 'sandbox',
      organizationalUnits: ['ou-ab12-sandbox1'],
      regions: ['us-east-1'],
      // A sandbox's reports may be lifted early (GOVERNANCE, opt-in); production's never (COMPLIANCE).
      rotation: {
        config: { defaultPolicy: '90d' },
        reportBucket: { retentionDays: 90, lockMode: 'GOVERNANCE' },
      },
      operationPreferences: { failureTolerancePercentage: 50, maxConcurrentPercentage: 100 },
    },
  ],
};
