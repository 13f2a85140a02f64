// Reads a compose file the way `docker compose` does: YAML (anchors and `<<` merges), variables from
// the environment and the `.env` file beside it, then one service and its env_file files.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parse } from 'yaml';
import { composeServiceNames, mergeEnvironment, parseComposeService, type ComposeServiceDefinition } from './compose-file';
import { ComposeFileError } from './compose-values';
import { interpolateTree, parseEnvFile, type Variables } from '../config/compose-interpolation';

export interface LoadedComposeService {
  definition: ComposeServiceDefinition;
  /** env_file values under `environment:`, ready for the container. */
  environment: Record<string, string>;
  unsupported: string[];
  /** Every service the file defines. */
  services: string[];
}

/**
 * Loads one service of a compose file. Throws ComposeFileError (with the key at fault) for a file
 * that cannot be used, and the fs error (code ENOENT) for a missing file.
 */
export async function loadComposeService(file: string, project: string, service: string, env: Variables = process.env): Promise<LoadedComposeService> {
  const dir = path.dirname(file);
  const text = await readFile(file, 'utf8');
  const vars = { ...(await readDotEnv(dir)), ...definedOnly(env) };
  let doc: unknown;
  try {
    doc = interpolateTree(parse(text, { merge: true }), vars);
  } catch (e) {
    throw new ComposeFileError('(file)', (e as Error).message);
  }
  const { definition, unsupported } = parseComposeService(doc, service, { project, dir, env: vars });
  const envFiles = await Promise.all(definition.env_files.map((ref) => readEnvFile(ref.path, ref.required)));
  return {
    definition,
    environment: mergeEnvironment(envFiles, definition.environment, vars),
    unsupported,
    services: composeServiceNames(doc),
  };
}

/** The `.env` file of the project directory, if there is one. */
async function readDotEnv(dir: string): Promise<Record<string, string>> {
  const vars = await readEnvFile(path.join(dir, '.env'), false);
  return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[1] !== undefined));
}

async function readEnvFile(file: string, required: boolean): Promise<Record<string, string | undefined>> {
  try {
    return parseEnvFile(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    throw new ComposeFileError('env_file', `cannot read ${file}: ${(e as Error).message}`);
  }
}

function definedOnly(env: Variables): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
