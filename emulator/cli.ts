/**
 * `npm run emulator [-- --port N] [--now ISO] [--deploy] [--verbose]`: the local AWS emulator (moto
 * server with keyrot's extension) on loopback, for the CLI, the AWS CLI or your own scripts. Stops on
 * Ctrl-C (SIGINT) or SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../functions/core/config.js';
import { deployFunctions } from './deploy.js';
import { startEmulator } from './start.js';

const USAGE = `usage: npm run emulator -- [--port N] [--now ISO] [--deploy] [--verbose]
  --port N     listen on 127.0.0.1:N (default: a free port)
  --now ISO    run on a simulated clock starting there; scripts move it with
               POST /_keyrot/clock {"now": ISO}, and keyrot --now against it moves it too
  --deploy     deploy the CDK app's functions (their esbuild bundles) into account 123456789012 and
               write keyrot.emulator.json, a configuration naming the rotation function
  --verbose    print the server's request log`;

interface Options {
  port: number;
  verbose: boolean;
  now: Date | undefined;
  deploy: boolean;
}

function options(): Options {
  try {
    const { values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p', default: '0' },
        verbose: { type: 'boolean', short: 'v', default: false },
        now: { type: 'string' },
        deploy: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      throw new Error(`--port ${JSON.stringify(values.port)} is not a port number (0 picks a free one)`);
    }
    const now = values.now === undefined ? undefined : new Date(values.now);
    if (now !== undefined && Number.isNaN(now.getTime())) {
      throw new Error(
        `--now ${JSON.stringify(values.now)} is not an ISO-8601 time such as 2027-01-01T03:00:00Z`,
      );
    }
    return { port, verbose: values.verbose, now, deploy: values.deploy };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

const { port, verbose, now, deploy } = options();
let emulator;
let configFile: string | undefined;
try {
  emulator = await startEmulator({
    port,
    log: verbose ? (line) => console.error(line) : undefined,
    ...(now !== undefined && { clock: now }),
  });
  if (deploy) {
    const deployment = await deployFunctions({ endpoint: emulator.endpoint, accountId: '123456789012' });
    configFile = 'keyrot.emulator.json';
    writeFileSync(
      configFile,
      `${JSON.stringify({ ...defaultConfig(), rotationLambdaArn: deployment.rotationFunction.arn }, null, 2)}\n`,
    );
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
const { endpoint } = emulator;
console.log(`KEYROT emulator listening on ${endpoint}`);
console.log('Point the SDK, the AWS CLI or keyrot at it, with any credentials:');
console.log(`  export AWS_ENDPOINT_URL=${endpoint}`);
console.log('  export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test');
console.log(`  npx keyrot plan --endpoint-url ${endpoint}${configFile ? ` --config ${configFile}` : ''}`);
if (emulator.simulatedClock) {
  console.log(
    `Simulated clock from ${now!.toISOString()}: POST ${endpoint}/_keyrot/clock {"now": ISO} moves it;`,
  );
  console.log('keyrot --now against this endpoint moves it too, so scripts can drive simulated days.');
}
if (configFile) {
  console.log(`Deployed the rotation function bundle; ${configFile} names it: rotations run as on AWS.`);
}
console.log('Every request goes to account 123456789012 unless it sends the header x-moto-account-id.');
console.log('Stop with Ctrl-C.');

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the emulator`);
  void emulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
