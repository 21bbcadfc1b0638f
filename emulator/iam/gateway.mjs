// The emulator's IAM: an HTTP gateway on loopback in front of moto, started inside each Lambda container
// (lambda-container.mjs) before the function's code loads, so every call the deployed bundle makes is
// authorized as IAM would: the execution role's identity policies, the secret's resource policy and its
// key's policy where AWS consults them, with the context keys the request carries. Allowed calls go to moto
// unchanged; refused ones get the service's own AccessDenied, so the SDK raises what it raises on AWS.
// The evaluation is @cloud-copilot/iam-simulate's; the request -> (action, resource) mapping is
// request-map.mjs. Not a fake service: it answers nothing but the refusal.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { decisionLog } from './decision-log.mjs';
import { callerContext, evaluate } from './evaluate.mjs';
import { KMS_KEY, mapRequest, SECRET } from './request-map.mjs';

// Taken before lambda-container.mjs wraps http.request to count the function's write calls: forwarding
// a call is not another call.
const send = http.request;

const CONTEXT_AUTH =
  'AWS4-HMAC-SHA256 Credential=emulator/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0';

/**
 * @typedef {{ upstream: string, account: string, roleArn: string, sessionName: string, logFile?: string }} GatewayOptions
 * @typedef {{ result: string, action: string, resource: string, reason?: string }} Decision
 */

/** A key that Secrets Manager manages itself (no key policy of the account's to consult). */
const awsManagedKey = (keyId) =>
  keyId === undefined || keyId === null || keyId === '' || keyId === 'alias/aws/secretsmanager';

const accountOf = (arn, fallback) => /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? fallback;

/**
 * Starts the gateway; `endpoint` is what the function's SDK should call. `newInvocation([policies, tags])`
 * forgets what was read when the emulator's count of changes to policies and secrets has moved since (or
 * of tag changes, when a policy read conditions on tags): within an invocation the policies are read at
 * most once, as IAM's own changes take seconds to apply.
 * @param {GatewayOptions} options
 */
export async function startIamGateway(options) {
  /** The account a call's secret is in: its ARN's, else the caller's. */
  const resourceAccount = (mapping) =>
    mapping.secret?.id?.startsWith('arn:') === true
      ? accountOf(mapping.secret.id, options.account)
      : options.account;
  const upstream = new URL(options.upstream);
  const session = `arn:aws:sts::${options.account}:assumed-role/${options.roleArn.split('/').pop()}/${options.sessionName}`;
  /** @type {Map<string, Promise<any>>} */
  let cache = new Map();
  /** @type {[number | undefined, number | undefined]} */
  let readAt = [undefined, undefined];
  let tagsMatter = false;
  const log = decisionLog(options.logFile, options.roleArn, session);

  // http.request rather than fetch: a container's first fetch loads undici, tens of milliseconds.
  function getJson(path, account = options.account) {
    return new Promise((resolve, reject) => {
      const out = send(
        {
          host: upstream.hostname,
          port: upstream.port,
          path,
          headers: { authorization: CONTEXT_AUTH, 'x-moto-account-id': account },
        },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200)
              reject(new Error(`the emulator's IAM context answered ${res.statusCode}`));
            else resolve(JSON.parse(text));
          });
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end();
    });
  }

  /** What IAM consults, from the emulator (emulator/keyrot_moto/iam_context.py): once until it changes. */
  function consult(region, what, account = options.account) {
    const query = new URLSearchParams({ region, ...what }).toString();
    let found = cache.get(`${account}?${query}`);
    if (found === undefined) {
      found = getJson(`/_keyrot/iam/context?${query}`, account).then((known) => {
        if (JSON.stringify(known).includes('ResourceTag/')) tagsMatter = true;
        return known;
      });
      cache.set(`${account}?${query}`, found);
      found.catch(() => cache.delete(`${account}?${query}`));
    }
    return found;
  }

  /** Each check the call needs, with the resource policy that applies to it. */
  async function checksOf(mapping) {
    const { region } = mapping;
    // One hop for all of it: the role's policies, the secret (and its key, which the emulator finds).
    const reading = mapping.secret !== undefined && mapping.secret.creating !== true;
    // A secret of another account (a consumer reading its credential's secret by ARN) is read there.
    const owner = reading ? resourceAccount(mapping) : options.account;
    const known =
      owner === options.account
        ? await consult(region, {
            role: options.roleArn,
            ...(reading && { secret: mapping.secret.id }),
            ...(mapping.kmsKey !== undefined && { key: mapping.kmsKey }),
          })
        : {
            ...(await consult(region, { secret: mapping.secret.id }, owner)),
            role: (await consult(region, { role: options.roleArn })).role,
          };
    const identityPolicies = (known.role?.policies ?? []).map((p) => ({ name: p.name, policy: p.policy }));
    const checks = [];
    const secret = reading ? known.secret : null;
    const secretArn =
      mapping.secret === undefined
        ? undefined
        : (secret?.arn ??
          (mapping.secret.id.startsWith('arn:')
            ? mapping.secret.id
            : `arn:aws:secretsmanager:${region}:${options.account}:secret:${mapping.secret.id}`));
    const secretTags = Object.entries(secret?.tags ?? {}).flatMap(([k, v]) => [
      [`aws:ResourceTag/${k}`, v],
      [`secretsmanager:ResourceTag/${k}`, v],
    ]);
    for (const c of mapping.checks) {
      if (c.resource === SECRET) {
        checks.push({
          ...c,
          resource: secretArn,
          context: { ...c.context, ...Object.fromEntries(secretTags) },
          resourcePolicy: secret?.resourcePolicy,
        });
      } else if (c.resource === KMS_KEY) {
        const { key } = known;
        checks.push({ ...c, resource: key?.arn ?? mapping.kmsKey, resourcePolicy: key?.policy });
      } else checks.push(c);
    }
    // Secrets Manager uses the secret's customer managed key on the caller's behalf.
    const keyId = mapping.kmsKey ?? secret?.kmsKeyId;
    if (mapping.secret?.kms !== undefined && !awsManagedKey(keyId)) {
      const key = known.key ?? (await consult(region, { key: keyId }, owner)).key;
      for (const action of mapping.secret.kms)
        checks.push({
          action,
          resource: key?.arn ?? keyId,
          context: {
            'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
            'kms:CallerAccount': options.account,
            'kms:EncryptionContext:SecretARN': secretArn,
          },
          resourcePolicy: key?.policy,
        });
    }
    // RotateSecret: Secrets Manager invokes the rotation function with its caller's permission.
    const rotationLambda = mapping.secret?.rotationLambda || secret?.rotationLambdaArn;
    if (mapping.secret?.rotationLambda !== undefined && rotationLambda)
      checks.push({ action: 'lambda:InvokeFunction', resource: rotationLambda, context: {} });
    return { identityPolicies, checks };
  }

  /** @returns {Promise<Decision>} */
  async function decide(mapping) {
    if (mapping.unmapped !== undefined)
      return {
        result: 'Unmapped',
        action: `${mapping.service}:${mapping.operation}`,
        resource: '',
        reason: `the emulator's IAM has no mapping for ${mapping.service} ${mapping.operation} (${mapping.unmapped}): add it to emulator/iam/request-map.mjs`,
      };
    const { identityPolicies, checks } = await checksOf(mapping);
    log.policies(identityPolicies);
    let last = { result: 'Allowed', action: `${mapping.service}:${mapping.operation}`, resource: '' };
    for (const c of checks) {
      last = judge(mapping, c, identityPolicies);
      if (last.result !== 'Allowed') return last;
      if (c !== checks.at(-1)) record(mapping, last);
    }
    // S3 hides whether an object exists from a reader without s3:ListBucket: its 404 becomes a 403.
    if (mapping.ifMissing !== undefined) {
      const listing = judge(mapping, mapping.ifMissing, identityPolicies);
      record(mapping, listing);
      if (listing.result !== 'Allowed') return { ...last, missing: listing };
    }
    return last;
  }

  /** One check of a call, as IAM evaluates it. */
  function judge(mapping, c, identityPolicies) {
    const context = { ...callerContext(options.roleArn, options.account, mapping.region), ...c.context };
    const result = evaluate({
      identityPolicies,
      principal: session,
      account: options.account,
      action: c.action,
      resource: c.resource,
      context,
      resourcePolicy: c.resourcePolicy,
    });
    return {
      result,
      action: c.action,
      resource: c.resource,
      context,
      resourcePolicy: c.resourcePolicy ?? null,
    };
  }

  const record = (mapping, decision) => log.decision(mapping, decision);

  function forward(req, body, res, mapping, missing) {
    const headers = { ...req.headers, 'content-length': String(body.length) };
    // AWS finds a resource by its ARN; moto, by the account a request names.
    if (mapping.secret !== undefined && mapping.secret.creating !== true)
      headers['x-moto-account-id'] = resourceAccount(mapping);
    delete headers['transfer-encoding'];
    delete headers.expect;
    const out = send(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        if (missing !== undefined && answer.statusCode === 404) {
          answer.resume();
          deny(res, mapping, missing, session);
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    out.on('error', (error) => {
      res.destroy(error);
    });
    out.end(body);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const mapping = mapRequest({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers,
        body: body.toString('utf8'),
        account: options.account,
      });
      const started = performance.now();
      decide(mapping).then(
        (decision) => {
          record(mapping, { ...decision, ms: Math.round((performance.now() - started) * 10) / 10 });
          if (decision.result === 'Allowed') forward(req, body, res, mapping, decision.missing);
          else deny(res, mapping, decision, session);
        },
        (error) => {
          record(mapping, {
            result: 'Error',
            action: `${mapping.service}:${mapping.operation}`,
            resource: '',
          });
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `the emulator's IAM failed: ${error.message}` }));
        },
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  server.unref();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    /** What it read stands while `generation` (the emulator's count of policy and secret changes) stands. */
    newInvocation(generation) {
      const [policies, tags] = Array.isArray(generation) ? generation : [undefined, undefined];
      const stale =
        policies === undefined ||
        policies !== readAt[0] ||
        // Tags count only where a policy read conditions on them (aws:ResourceTag/...).
        (tags !== readAt[1] && tagsMatter);
      readAt = [policies, tags];
      if (!stale) return;
      cache = new Map();
      tagsMatter = false;
    },
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/** The refusal as the service words it, in its protocol (its error code is what the SDK raises). */
export function deny(res, mapping, decision, session) {
  const message =
    decision.reason ??
    `User: ${session} is not authorized to perform: ${decision.action} on resource: ${decision.resource} because no ${
      decision.result === 'ExplicitlyDenied'
        ? 'policy allows it (an explicit deny in a policy applies)'
        : 'identity-based policy allows the action'
    }`;
  const xml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (mapping.protocol === 'rest-xml') {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xml(message)}</Message></Error>`,
    );
  } else if (mapping.protocol === 'query') {
    res.writeHead(403, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${xml(message)}</Message></Error></ErrorResponse>`,
    );
  } else if (mapping.protocol === 'json') {
    // CloudWatch speaks JSON with its query-era codes (x-amzn-query-error): AccessDenied, HTTP 403.
    const cloudwatch = mapping.service === 'monitoring';
    res.writeHead(cloudwatch ? 403 : 400, {
      'content-type': 'application/x-amz-json-1.1',
      ...(cloudwatch && { 'x-amzn-query-error': 'AccessDenied;Sender' }),
    });
    res.end(JSON.stringify({ __type: cloudwatch ? 'AccessDenied' : 'AccessDeniedException', message }));
  } else {
    res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' });
    res.end(JSON.stringify({ message }));
  }
}
