// Debian packages a test needs (a framework's real worker: php-cli, python3-celery, ruby-sidekiq,
// a redis-server…): installed with apt-get when missing and the tests run as root, else the test
// fails saying which packages to install. `apt-get update` runs at most once per process, and
// installs are serialized (a lock file) so that parallel test files do not fight over dpkg.
import { spawn, spawnSync } from 'node:child_process';
import { withPidLock } from '../../src/dev/pid-lock';

const LOCK = '/tmp/docktor-apt.lock';
let updated = false;

/** Packages of `names` that dpkg does not report as installed. */
export function missingDebianPackages(names: string[]): string[] {
  return names.filter((name) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

function run(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const p = spawn('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { stdio: ['ignore', 2, 2], env });
    p.on('error', reject);
    p.on('close', resolve);
  });
}

/**
 * Makes sure the Debian packages are installed; `why` says what needs them. Throws with the
 * `apt-get install` line to run when they cannot be installed here.
 */
export async function ensureDebianPackages(names: string[], why: string): Promise<void> {
  if (missingDebianPackages(names).length === 0) return;
  const howto = `install them (as root: apt-get update && apt-get install -y ${names.join(' ')}) and re-run`;
  if (process.getuid?.() !== 0) throw new Error(`${why} needs the Debian packages ${missingDebianPackages(names).join(', ')}; ${howto}`);
  await withPidLock(LOCK, async () => {
    const missing = missingDebianPackages(names);
    if (missing.length === 0) return;
    process.stderr.write(`docktor tests: ${why} needs ${missing.join(', ')}; installing with apt-get…\n`);
    if (!updated) {
      const code = await run(['update']);
      if (code !== 0) throw new Error(`apt-get update failed (exit ${code}); ${howto}`);
      updated = true;
    }
    const code = await run(['install', '-y', '--no-install-recommends', ...missing]);
    if (code !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed (exit ${code}); ${howto}`);
  });
  const still = missingDebianPackages(names);
  if (still.length > 0) throw new Error(`${why}: ${still.join(', ')} still missing after apt-get install; ${howto}`);
}
