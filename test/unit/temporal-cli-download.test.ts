// Fetching the Temporal CLI when none is found: download the release archive first (checksum
// verified), then build with Go, against a local HTTP server that serves release-shaped archives
// (a tar.gz holding a `temporal` script that answers --version) and a stand-in `go` that "installs"
// one. Each case uses its own cache folder, never ~/.cache/docktor.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checksumFor, DOWNLOAD_IDLE_TIMEOUT_MS, releaseArchiveName, TEMPORAL_CLI_URL_ENV } from '../../src/dev/temporal-cli-download';
import { findTemporalCli, TEMPORAL_CLI_VERSION } from '../../src/dev/temporal-cli';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-cli-download-'));
const ARCHIVE = releaseArchiveName(TEMPORAL_CLI_VERSION);
const RELEASED = `temporal version ${TEMPORAL_CLI_VERSION.slice(1)} (Server 1.29.1, UI 2.42.1)`;
const BUILT = `temporal version ${TEMPORAL_CLI_VERSION.slice(1)} (built by the stand-in go)`;

/** A tar.gz as goreleaser makes them: the binary and the LICENSE at the top. */
function releaseArchive(name: string, script: string): Buffer {
  const dir = fs.mkdtempSync(path.join(root, 'archive-'));
  fs.writeFileSync(path.join(dir, 'temporal'), script, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'MIT\n');
  execFileSync('tar', ['-czf', path.join(root, name), '-C', dir, 'temporal', 'LICENSE']);
  return fs.readFileSync(path.join(root, name));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('the Temporal CLI: download first, then the Go build', () => {
  let server: http.Server;
  let base = '';
  const requests: string[] = [];
  const fakeBin = path.join(root, 'bin');
  const goLog = path.join(root, 'go.log');

  before(async () => {
    assert.ok(ARCHIVE, `no release archive for ${process.platform}/${process.arch}`);
    const good = releaseArchive('good.tar.gz', `#!/bin/sh\necho "${RELEASED}"\n`);
    const other = releaseArchive('other.tar.gz', '#!/bin/sh\necho "temporal version 0.0.0"\n');
    const checksums = `${sha256(other)}  temporal_cli_1.5.1_windows_amd64.tar.gz\n${sha256(good)}  ${ARCHIVE}\n`;
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      requests.push(url);
      const [, mode, tag, file] = url.split('/');
      if (mode === 'hang') return; // accepts, never answers
      if (mode === 'moved') return void res.writeHead(302, { location: url.replace('/moved/', '/good/') }).end();
      if (tag !== TEMPORAL_CLI_VERSION) return void res.writeHead(404).end();
      if (file === 'checksums.txt') return void res.end(checksums);
      if (file !== ARCHIVE) return void res.writeHead(404).end();
      res.end(mode === 'corrupt' ? other : good);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // `go install` stand-in: writes a CLI into $GOBIN, as the real one does after minutes of building.
    fs.mkdirSync(fakeBin);
    fs.writeFileSync(
      path.join(fakeBin, 'go'),
      `#!/bin/sh\necho "$*" >> ${goLog}\nprintf '#!/bin/sh\\necho "${BUILT}"\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`,
      { mode: 0o755 },
    );
  });

  after(() => {
    server.closeAllConnections();
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** findTemporalCli with nothing on PATH but the stand-in go, a fresh cache and this download URL. */
  async function find(url: string): Promise<{ cli: string | undefined; cache: string; log: string[]; goRuns: string[]; seconds: number }> {
    const cache = fs.mkdtempSync(path.join(root, 'cache-'));
    fs.rmSync(goLog, { force: true });
    const log: string[] = [];
    const started = Date.now();
    const cli = await findTemporalCli({ cacheDir: cache, log: (l) => log.push(l), env: { PATH: fakeBin, [TEMPORAL_CLI_URL_ENV]: url } });
    const goRuns = fs.existsSync(goLog) ? fs.readFileSync(goLog, 'utf8').trim().split('\n') : [];
    return { cli, cache, log, goRuns, seconds: (Date.now() - started) / 1000 };
  }

  const versionOf = (cli: string) => execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();

  it('downloads the release archive (following a redirect), checks its sha256 and caches the binary; Go is not run', async () => {
    requests.length = 0;
    const r = await find(`${base}/moved`);
    assert.equal(r.cli, path.join(r.cache, 'temporal'), r.log.join('\n'));
    assert.equal(versionOf(r.cli), RELEASED);
    assert.deepEqual(r.goRuns, []);
    assert.deepEqual(requests, [`/moved/${TEMPORAL_CLI_VERSION}/checksums.txt`, `/good/${TEMPORAL_CLI_VERSION}/checksums.txt`, `/moved/${TEMPORAL_CLI_VERSION}/${ARCHIVE}`, `/good/${TEMPORAL_CLI_VERSION}/${ARCHIVE}`]);
    assert.match(r.log.at(-1) ?? '', /downloaded the Temporal CLI in [\d.]+ s \(sha256 verified\)/);
    assert.deepEqual(fs.readdirSync(r.cache), ['temporal'], 'no staging files or lock left behind');

    // The next look finds it in the cache, without asking the server again.
    requests.length = 0;
    assert.equal(await findTemporalCli({ cacheDir: r.cache, env: { PATH: fakeBin, [TEMPORAL_CLI_URL_ENV]: `${base}/good` } }), r.cli);
    assert.deepEqual(requests, []);
  });

  it('rejects an archive whose checksum does not match and builds with Go instead', async () => {
    const r = await find(`${base}/corrupt`);
    assert.ok(r.log.some((l) => /could not download the Temporal CLI: checksum mismatch: temporal_cli_\S+ has sha256 [0-9a-f]{64}, checksums.txt says [0-9a-f]{64}; not used; building it with Go instead/.test(l)), r.log.join('\n'));
    assert.deepEqual(r.goRuns, [`install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`]);
    assert.equal(r.cli, path.join(r.cache, 'temporal'));
    assert.equal(versionOf(r.cli), BUILT);
    assert.deepEqual(fs.readdirSync(r.cache), ['temporal']);
  });

  it('gives up on a server that never answers after the idle timeout and builds with Go', { timeout: 60_000 }, async () => {
    const r = await find(`${base}/hang`);
    assert.ok(r.log.some((l) => l.includes(`checksums.txt: nothing received for ${DOWNLOAD_IDLE_TIMEOUT_MS / 1000} s; building it with Go`)), r.log.join('\n'));
    assert.ok(r.seconds < DOWNLOAD_IDLE_TIMEOUT_MS / 1000 + 10, `fell back after ${r.seconds} s`);
    assert.equal(versionOf(r.cli ?? ''), BUILT);
  });

  it('a host that does not resolve fails at once (no timeout) and builds with Go; off skips the download', async () => {
    const r = await find('http://docktor-no-such-host.invalid/releases');
    assert.ok(r.log.some((l) => l.includes('cannot resolve docktor-no-such-host.invalid; building it with Go')), r.log.join('\n'));
    assert.equal(versionOf(r.cli ?? ''), BUILT);

    requests.length = 0;
    const off = await find('off');
    assert.equal(versionOf(off.cli ?? ''), BUILT);
    assert.ok(!off.log.some((l) => /downloading|could not download/.test(l)), off.log.join('\n'));
    assert.deepEqual(requests, []);
  });

  it('reads goreleaser checksums.txt and names the archive per platform', () => {
    const sums = `${'a'.repeat(64)}  temporal_cli_1.5.1_linux_amd64.tar.gz\n${'B'.repeat(64)} *temporal_cli_1.5.1_darwin_arm64.tar.gz\n`;
    assert.equal(checksumFor(sums, 'temporal_cli_1.5.1_darwin_arm64.tar.gz'), 'b'.repeat(64));
    assert.equal(checksumFor(sums, 'temporal_cli_1.5.1_linux_arm64.tar.gz'), undefined);
    assert.equal(releaseArchiveName('v1.5.1', 'linux', 'x64'), 'temporal_cli_1.5.1_linux_amd64.tar.gz');
    assert.equal(releaseArchiveName('v1.5.1', 'darwin', 'arm64'), 'temporal_cli_1.5.1_darwin_arm64.tar.gz');
    assert.equal(releaseArchiveName('v1.5.1', 'win32', 'x64'), undefined);
  });
});
