/**
 * A stand-in for one API Gateway stage's data plane, in the test harness only: no emulator here
 * enforces API keys on invocations. It answers like a stage whose methods have apiKeyRequired: 200
 * when the x-api-key header is the value of an existing, enabled key that is in a usage plan opening
 * this stage, else 403 {"message":"Forbidden"}. What it knows of keys and plans it reads from the
 * emulator's control plane (GetApiKeys with values, GetUsagePlanKeys) every `refreshMs`; a key it sees
 * for the first time works only `propagationMs` later (AWS: a new key takes a moment to work).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  paginateGetApiKeys,
  paginateGetUsagePlanKeys,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';

export interface Stage {
  url: string;
  /** Requests answered, by status. */
  answered: Record<number, number>;
  close(): Promise<void>;
}

export async function startStage(options: {
  apigw: APIGatewayClient;
  usagePlanIds: string[];
  refreshMs?: number;
  propagationMs?: number;
}): Promise<Stage> {
  const refreshMs = options.refreshMs ?? 25;
  const propagationMs = options.propagationMs ?? 30;
  const firstSeen = new Map<string, number>();
  let working = new Map<string, string>(); // value -> key id, for enabled keys in a plan of the stage
  let stopped = false;

  const refresh = async () => {
    const inPlan = new Set<string>();
    for (const usagePlanId of options.usagePlanIds)
      for await (const page of paginateGetUsagePlanKeys({ client: options.apigw }, { usagePlanId }))
        for (const k of page.items ?? []) inPlan.add(k.id ?? '');
    const next = new Map<string, string>();
    for await (const page of paginateGetApiKeys(
      { client: options.apigw, pageSize: 500 },
      { includeValues: true },
    )) {
      for (const key of page.items ?? []) {
        if (key.id === undefined || key.value === undefined) continue;
        // A key that exists when the stage starts has propagated already (the data plane it stands in
        // for was running all along): otherwise a consumer starting within propagationMs of the stage
        // is refused the key it was onboarded with, as two drills were on a loaded CI machine.
        if (!firstSeen.has(key.id)) firstSeen.set(key.id, started ? Date.now() : Date.now() - propagationMs);
        if (key.enabled === true && inPlan.has(key.id)) next.set(key.value, key.id);
      }
    }
    working = next;
  };
  let started = false;
  await refresh();
  started = true;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, refreshMs));
      await refresh().catch(() => undefined);
    }
  })();

  const answered: Record<number, number> = {};
  const server = createServer((req, res) => {
    const value = String(req.headers['x-api-key'] ?? '');
    const id = working.get(value);
    const ok = id !== undefined && Date.now() - (firstSeen.get(id) ?? Infinity) >= propagationMs;
    const status = ok ? 200 : 403;
    answered[status] = (answered[status] ?? 0) + 1;
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(ok ? '{"ok":true}' : '{"message":"Forbidden"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`,
    answered,
    close: async () => {
      stopped = true;
      await loop;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
