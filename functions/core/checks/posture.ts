import * as z from 'zod';
import type { Inventory } from '../types.js';
import { defineCheck, type CheckFinding } from './check.js';

const SHOWN = 10;

type PostureKind =
  | 'posture-method-without-key'
  | 'posture-plan-unlimited'
  | 'posture-authorizer-key-source'
  | 'posture-key-opens-many-apis';

/** The API Gateway pitfalls that silently switch keys off or make one key too powerful. Findings only. */
export const posture = defineCheck({
  name: 'posture',
  settings: z
    .object({
      action: z.enum(['report', 'ignore']).default('report'),
      maxApisPerKey: z.number().int().min(1).default(3),
    })
    .strict()
    .prefault({}),
  kinds: [
    'posture-method-without-key',
    'posture-plan-unlimited',
    'posture-authorizer-key-source',
    'posture-key-opens-many-apis',
  ],
  exemptible: true,
  account: (inventory, settings) => postureFindings(inventory, settings.maxApisPerKey),
});

function postureFindings(inventory: Inventory, max: number): CheckFinding<PostureKind>[] {
  const findings: CheckFinding<PostureKind>[] = [];
  for (const plan of inventory.plans) {
    const noThrottle = plan.throttle?.rateLimit === undefined && plan.throttle?.burstLimit === undefined;
    const noQuota = plan.quota?.limit === undefined;
    if (noThrottle || noQuota) {
      const missing = [noThrottle && 'throttle', noQuota && 'quota'].filter(Boolean).join(' or ');
      findings.push({
        kind: 'posture-plan-unlimited',
        usagePlanId: plan.id,
        action: 'report',
        message: `usage plan ${plan.id} (${plan.name}) has no ${missing}: one leaked key can use the API without limit`,
      });
    }
  }
  if (inventory.apis !== undefined) {
    const stagesOf = new Map<string, Set<string>>();
    for (const plan of inventory.plans) {
      for (const s of plan.apiStages)
        stagesOf.set(s.apiId, (stagesOf.get(s.apiId) ?? new Set()).add(s.stage));
    }
    for (const api of inventory.apis) {
      const stages = [...(stagesOf.get(api.id) ?? [])].sort();
      if (stages.length === 0) continue;
      if (api.methodsWithoutKey.length > 0) {
        const shown = api.methodsWithoutKey.slice(0, SHOWN).join(', ');
        const more =
          api.methodsWithoutKey.length > SHOWN ? ` and ${api.methodsWithoutKey.length - SHOWN} more` : '';
        findings.push({
          kind: 'posture-method-without-key',
          apiId: api.id,
          action: 'report',
          message: `API ${api.id} (${api.name}), in usage plans on stage(s) ${stages.join(', ')}: ${api.methodsWithoutKey.length} method(s) don't set apiKeyRequired, so keys and their plans' limits are ignored there: ${shown}${more}`,
        });
      }
      if (api.apiKeySource === 'AUTHORIZER') {
        findings.push({
          kind: 'posture-authorizer-key-source',
          apiId: api.id,
          action: 'report',
          message: `API ${api.id} (${api.name}) takes its API key from a Lambda authorizer (apiKeySource AUTHORIZER): often keys in query strings, which end up in logs; move clients to the x-api-key header`,
        });
      }
    }
  }
  const apisOfPlan = new Map(inventory.plans.map((p) => [p.id, new Set(p.apiStages.map((s) => s.apiId))]));
  for (const key of inventory.keys) {
    if (!key.enabled) continue;
    const apis = new Set(key.planIds.flatMap((id) => [...(apisOfPlan.get(id) ?? [])]));
    if (apis.size > max) {
      findings.push({
        kind: 'posture-key-opens-many-apis',
        keyId: key.id,
        action: 'report',
        message: `key ${key.id} (${key.name}) opens ${apis.size} APIs through its usage plans (more than ${max}): one leaked key opens all of them`,
      });
    }
  }
  return findings;
}
