import {
  paginateGetResources,
  paginateGetRestApis,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import type { ObservedApi } from '../core/types.js';

/** The REST APIs that usage plans open, with their key source and the methods that don't require a key. */
export async function readApis(apigw: APIGatewayClient, apiIds: Set<string>): Promise<ObservedApi[]> {
  const apis: ObservedApi[] = [];
  for await (const page of paginateGetRestApis({ client: apigw, pageSize: 500 }, {})) {
    for (const api of page.items ?? []) {
      if (api.id === undefined || !apiIds.has(api.id)) continue;
      apis.push({
        id: api.id,
        name: api.name ?? '',
        apiKeySource: api.apiKeySource ?? 'HEADER',
        methodsWithoutKey: [],
      });
    }
  }
  // GetResources is paced at 5 requests per 2 s: one API at a time.
  for (const api of apis) {
    const pages = paginateGetResources(
      { client: apigw, pageSize: 500 },
      { restApiId: api.id, embed: ['methods'] },
    );
    for await (const page of pages) {
      for (const resource of page.items ?? []) {
        for (const [verb, method] of Object.entries(resource.resourceMethods ?? {})) {
          // CORS preflights can't carry a key.
          if (verb === 'OPTIONS' || method.apiKeyRequired === true) continue;
          api.methodsWithoutKey.push(`${verb} ${resource.path ?? '?'}`);
        }
      }
    }
    api.methodsWithoutKey.sort();
  }
  return apis;
}
