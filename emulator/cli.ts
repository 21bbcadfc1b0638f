/**
 * `npm run emulator [-- --port N]`: the local AWS emulator (moto server with keyrot's extension) on
 * loopback, for the CLI or your own scripts. Stops on Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './start.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port ${JSON.stringify(values.port)} is not a port number (0 picks a free one)`);
  process.exit(2);
}
const emulator = await startEmulator({ port });
console.log(`KEYROT emulator listening on ${emulator.endpoint}`);
console.log('Point the CLI or the AWS CLI at it, with any credentials:');
console.log(
  `  export AWS_ENDPOINT_URL=${emulator.endpoint} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test`,
);
console.log(`  npx keyrot plan --endpoint-url ${emulator.endpoint}`);
const stop = async () => {
  await emulator.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
