// The workflow bundle, kept on disk between worker starts. Bundling the workflow code (webpack)
// takes 3-6 s of CPU at every `docktor worker` start, which is the time a restarted worker takes
// to serve again (a crash, an upgrade, a host's worker coming back). Temporal's advice is to
// bundle once at build time; here the first start bundles and later starts of the same build
// reuse it. The key is a hash of the compiled sources and the SDK's version, so another build
// never runs a stale bundle.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** Bundles of this many builds are kept; older ones are removed. */
const KEEP = 4;

/** `$DOCKTOR_CACHE_DIR`, else `$XDG_CACHE_HOME/docktor`, else `~/.cache/docktor`; then `workflow-bundles`. */
export function bundleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['DOCKTOR_CACHE_DIR'] || path.join(env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'docktor');
  return path.join(base, 'workflow-bundles');
}

/** A hash of every compiled file under `sourceRoot` (their paths and contents) and of `extra`. */
export function buildHash(sourceRoot: string, extra: string[]): string {
  const h = crypto.createHash('sha256');
  for (const e of extra) h.update(`${e}\0`);
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(c|m)?js$/.test(entry.name)) h.update(`${path.relative(sourceRoot, full)}\0`).update(fs.readFileSync(full));
    }
  };
  walk(sourceRoot);
  return h.digest('hex').slice(0, 24);
}

/**
 * The bundle of this build from the cache, else `make()`'s, stored for the next start. A cache
 * that cannot be read or written only costs the bundling.
 */
export async function cachedBundle(dir: string, key: string, make: () => Promise<WorkflowBundleWithSourceMap>): Promise<WorkflowBundleWithSourceMap> {
  const code = path.join(dir, `${key}.js`);
  const map = path.join(dir, `${key}.js.map`);
  try {
    return { code: fs.readFileSync(code, 'utf8'), sourceMap: fs.readFileSync(map, 'utf8') };
  } catch {
    // not cached yet
  }
  const bundle = await make();
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Map first, code last, each renamed into place: a reader that finds the code finds both whole.
    for (const [file, text] of [[map, bundle.sourceMap], [code, bundle.code]] as const) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    }
    prune(dir);
  } catch {
    // a read-only or full cache: bundle again next time
  }
  return bundle;
}

function prune(dir: string): void {
  const bundles = fs
    .readdirSync(dir)
    .filter((f) => /^[0-9a-f]+\.js$/.test(f))
    .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of bundles.slice(KEEP)) {
    fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(path.join(dir, `${f}.map`), { force: true });
  }
}
