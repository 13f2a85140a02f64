// The workflow bundle cache (src/workflow-bundle-cache.ts): a build bundles once, a changed build
// bundles again, a cache that cannot be written costs only the bundling, and old builds' bundles go.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildHash, bundleCacheDir, cachedBundle } from '../../src/workflow-bundle-cache';

describe('workflow bundle cache', () => {
  it('bundles once per build; another build (a changed file, another dependency tree) bundles again', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-bundle-'));
    const src = path.join(root, 'src');
    fs.mkdirSync(path.join(src, 'workflows'), { recursive: true });
    fs.writeFileSync(path.join(src, 'workflows', 'a.js'), 'exports.a = 1;');
    const dir = path.join(root, 'cache');
    let made = 0;
    const make = async () => ({ code: `code ${++made}`, sourceMap: `map ${made}` });

    const key = buildHash(src, ['deps 1']);
    assert.deepEqual(await cachedBundle(dir, key, make), { code: 'code 1', sourceMap: 'map 1' });
    assert.deepEqual(await cachedBundle(dir, key, make), { code: 'code 1', sourceMap: 'map 1' }, 'read back, not bundled again');
    assert.equal(made, 1);

    fs.writeFileSync(path.join(src, 'workflows', 'a.js'), 'exports.a = 2;');
    const changed = buildHash(src, ['deps 1']);
    assert.notEqual(changed, key);
    assert.notEqual(buildHash(src, ['deps 2']), changed);
    assert.equal((await cachedBundle(dir, changed, make)).code, 'code 2');

    // Only the newest builds' bundles are kept.
    for (let i = 0; i < 6; i++) await cachedBundle(dir, `${i}`.repeat(8), make);
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.js')).length, 4);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('bundles anyway when the cache cannot be written', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-bundle-')), 'not-a-dir');
    fs.writeFileSync(file, '');
    const bundle = await cachedBundle(path.join(file, 'cache'), 'abc', async () => ({ code: 'c', sourceMap: 'm' }));
    assert.deepEqual(bundle, { code: 'c', sourceMap: 'm' });
  });

  it('lives under DOCKTOR_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(bundleCacheDir({ DOCKTOR_CACHE_DIR: '/c' }), '/c/workflow-bundles');
    assert.equal(bundleCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/docktor/workflow-bundles');
    assert.equal(bundleCacheDir({}), path.join(os.homedir(), '.cache', 'docktor', 'workflow-bundles'));
  });
});
