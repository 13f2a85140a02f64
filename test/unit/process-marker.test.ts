// Where process replicas are recorded (one place per machine, whatever the cwd) and the marker
// that finds an unrecorded replica (issue 14).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markedIndex, markerEnv, poolId } from '../../src/runtimes/process-marker';
import { defaultStateDir } from '../../src/runtimes/process-state';

describe('process state directory', () => {
  it('does not depend on the current directory', () => {
    const env = { XDG_STATE_HOME: '/x/state' };
    assert.equal(defaultStateDir(env, '/a', 1000, '/home/u'), '/x/state/docktor/processes');
    assert.equal(defaultStateDir(env, '/b', 1000, '/home/u'), '/x/state/docktor/processes');
    assert.equal(defaultStateDir({}, '/a', 1000, '/home/u'), '/home/u/.local/state/docktor/processes');
    assert.equal(defaultStateDir({ XDG_STATE_HOME: 'relative' }, '/a', 1000, '/home/u'), '/home/u/.local/state/docktor/processes');
    assert.equal(defaultStateDir(env, '/a', 0, '/root'), '/var/lib/docktor/processes');
    assert.equal(defaultStateDir({ DOCKTOR_STATE_DIR: 'st' }, '/a', 0, '/root'), '/a/st');
  });
});

describe('replica marker', () => {
  it('names the pool and the index; other pools and unmarked processes are not ours', () => {
    const pool = poolId('/var/lib/docktor/processes', 'shop-worker');
    assert.equal(pool, poolId('/var/lib/docktor/processes/', 'shop-worker'));
    assert.notEqual(pool, poolId('/elsewhere', 'shop-worker'));
    const environ = (vars: Record<string, string>) => Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\0');
    assert.equal(markedIndex(environ({ PATH: '/bin', ...markerEnv(pool, 'shop', 'worker', 4) }), pool), 4);
    assert.equal(markedIndex(environ(markerEnv('other', 'shop', 'worker', 4)), pool), undefined);
    assert.equal(markedIndex(environ({ DOCKTOR_REPLICA: '4' }), pool), undefined);
  });
});
