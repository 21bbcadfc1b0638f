import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const MOTO = 'moto[server]==5.2.1';
const VENV = join(ROOT, '.cache', 'moto-venv');

export interface Emulator {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  log?: (line: string) => void;
}

function canImportMoto(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import moto.server, moto.apigateway, moto.secretsmanager'], {
    stdio: 'ignore',
  });
  return r.status === 0;
}

/** A Python that has moto: the system's python3, else a project-local virtual env with moto installed. */
export function findPython(log: (line: string) => void = () => {}): string {
  for (const candidate of [process.env.KEYROT_PYTHON, 'python3', join(VENV, 'bin', 'python')]) {
    if (candidate !== undefined && candidate !== '' && canImportMoto(candidate)) return candidate;
  }
  log(`moto is not importable by python3; installing ${MOTO} into ${VENV}`);
  if (!existsSync(join(VENV, 'bin', 'python'))) {
    const venv = spawnSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
    if (venv.status !== 0)
      throw new Error(`python3 -m venv ${VENV} failed; install Python 3 with the venv module`);
  }
  const pip = spawnSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', MOTO], { stdio: 'inherit' });
  if (pip.status !== 0) throw new Error(`pip install ${MOTO} into ${VENV} failed`);
  return join(VENV, 'bin', 'python');
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(
  endpoint: string,
  child: ChildProcess,
  stderr: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto server exited with code ${child.exitCode}:\n${stderr().slice(-2000)}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `moto server did not answer on ${endpoint} within ${timeoutMs} ms:\n${stderr().slice(-2000)}`,
  );
}

/** Starts moto server with keyrot's extension on a loopback port; stop() ends it. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host))
    throw new Error(`the emulator binds loopback only, not ${host}`);
  const log = options.log ?? (() => {});
  const python = findPython(log);
  const port = options.port !== undefined && options.port !== 0 ? options.port : await freePort(host);
  let stderr = '';
  const child = spawn(python, [join(HERE, 'launcher.py'), '-H', host, '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, MOTO_PORT: String(port), PYTHONDONTWRITEBYTECODE: '1' },
  });
  child.stdout?.on('data', (d: Buffer) => log(d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const endpoint = `http://${host === '::1' ? '[::1]' : host}:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-(child.pid ?? 0), 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilUp(endpoint, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, stop };
}
