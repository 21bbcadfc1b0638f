import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { describe, expect, it } from 'vitest';
import { apiKeyArn } from '../../functions/aws/api-keys.js';

describe('API key ARNs (TagResource)', () => {
  it.each([
    ['us-east-1', 'arn:aws:apigateway:us-east-1::/apikeys/k1'],
    ['cn-north-1', 'arn:aws-cn:apigateway:cn-north-1::/apikeys/k1'],
    ['us-gov-west-1', 'arn:aws-us-gov:apigateway:us-gov-west-1::/apikeys/k1'],
  ])('in %s the partition comes from the region', async (region, arn) => {
    expect(await apiKeyArn(new APIGatewayClient({ region }), 'k1')).toBe(arn);
  });
});
