/**
 * The answer a Lambda-backed CloudFormation custom resource owes CloudFormation: a PUT of its result to
 * the pre-signed ResponseURL of the event. Until it arrives, the stack operation waits (up to an hour).
 */
export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceType?: string;
}

export function isCustomResourceEvent(event: unknown): event is CustomResourceEvent {
  const e = event as Partial<CustomResourceEvent> | null;
  return (
    e !== null &&
    typeof e === 'object' &&
    typeof e.ResponseURL === 'string' &&
    (e.RequestType === 'Create' || e.RequestType === 'Update' || e.RequestType === 'Delete')
  );
}

export async function answerCloudFormation(
  event: CustomResourceEvent,
  result: { status: 'SUCCESS' | 'FAILED'; reason?: string; physicalResourceId: string },
): Promise<void> {
  const body = JSON.stringify({
    Status: result.status,
    // CloudFormation shows at most 4 KB of it.
    Reason: (result.reason ?? result.status).slice(0, 3_000),
    PhysicalResourceId: result.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // The URL is signed without a content type: bytes, so fetch adds none.
  const response = await fetch(event.ResponseURL, { method: 'PUT', body: new TextEncoder().encode(body) });
  if (!response.ok) throw new Error(`CloudFormation's response URL answered ${response.status}`);
}
