import { readFile } from 'node:fs/promises';
import { ConfigError, parseConfig, type Config } from '../core/config.js';

/** Reads configuration from a JSON file, or from KEYROT_CONFIG (JSON) in the Lambda environment. */
export async function loadConfig(path?: string): Promise<Config> {
  if (path !== undefined) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `config file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    return parseConfig(parseJson(text, path), path);
  }
  const env = process.env.KEYROT_CONFIG;
  return parseConfig(env === undefined || env === '' ? {} : parseJson(env, 'KEYROT_CONFIG'), 'KEYROT_CONFIG');
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}
