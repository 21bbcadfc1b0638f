/** An API Gateway resource's ARN (`path` such as /apikeys/ID): API Gateway ARNs name no account. */
export function apiGatewayArn(partition: string, region: string, path: string): string {
  return `arn:${partition}:apigateway:${region}::${path}`;
}
