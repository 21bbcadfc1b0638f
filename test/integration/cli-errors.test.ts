import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';

/** The environment of a user with no AWS setup at all: no region, credentials, profile or endpoint. */
const BARE: Record<string, string | undefined> = {
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_ENDPOINT_URL: undefined,
  AWS_PROFILE: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function cli(args: string[]) {
  const saved = Object.fromEntries(Object.keys(BARE).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(BARE)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let stderr = '';
  try {
    const code = await runCli(args, { stdout: () => {}, stderr: (t) => (stderr += t) });
    return { code, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('errors about the environment say what to do (issue 12, item 7)', () => {
  let server: Server;
  let notAws = '';
  beforeAll(async () => {
    // A web server that is not AWS: it answers every request with a page.
    server = createServer((_, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    notAws = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('no region: exit 2, and how to give one', async () => {
    expect(await cli(['plan'])).toEqual({
      code: 2,
      stderr: 'keyrot: no AWS region: pass --region or set AWS_REGION\n',
    });
  });

  it('no credentials: exit 2, where they come from, and that the emulator needs none', async () => {
    const out = await cli(['plan', '--region', 'eu-west-1']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('no AWS credentials: set AWS_PROFILE');
  });

  it('an endpoint that is not AWS: exit 2, naming it, instead of UnknownError or a JSON parse error', async () => {
    const out = await cli(['plan', '--endpoint-url', notAws]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`${notAws} did not answer as an AWS API does (HTTP 200)`);
  });

  it("an AWS service's own error (S3 AccessDenied) is said as the service said it, not as a wrong endpoint", async () => {
    const denying = createServer((_, res) =>
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>User: alice is not authorized to perform: s3:ListBucket</Message></Error>',
        ),
    );
    await new Promise<void>((resolve) => denying.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(denying.address() as { port: number }).port}`;
      const out = await cli([
        'report',
        '--bucket',
        'reports',
        '--from',
        '2027-01-01',
        '--to',
        '2027-01-02',
        '--endpoint-url',
        endpoint,
      ]);
      expect(out.stderr).toContain('not authorized to perform: s3:ListBucket');
      expect(out.stderr).not.toContain('did not answer as an AWS API does');
    } finally {
      await new Promise<void>((resolve) => denying.close(() => resolve()));
    }
  });

  it('connection refused: the emulator to start, or the endpoint to drop', async () => {
    const out = await cli(['plan', '--endpoint-url', 'http://127.0.0.1:1']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('cannot reach http://127.0.0.1:1: connection refused');
    expect(out.stderr).toContain('npm run emulator');
  });
});
