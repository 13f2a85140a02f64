// The encryption codec and its keys (temporal.encryption): what a payload looks like once
// encrypted, key rotation, and the errors for a missing, malformed or wrong key.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ENCODING_ENCRYPTED, EncryptionCodec, METADATA_KEY_ID, PayloadDecryptionError } from '../../src/codec/encryption-codec';
import { keyId, loadKeyRing } from '../../src/codec/keys';
import { parseConfig } from '../../src/config/load';
import { InputError, UsageError } from '../../src/errors';

const newKey = (): string => randomBytes(32).toString('base64');
const text = (u: Uint8Array | null | undefined): string => Buffer.from(u ?? new Uint8Array()).toString('utf8');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-keys-'));

function keyFile(...keys: string[]): string {
  const file = path.join(dir, `keys-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, `# docktor payload keys: the first encrypts\n${keys.join('\n')}\n`);
  return file;
}

function usageError(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

describe('encryption keys', () => {
  it('reads keys from a file or a variable; the first encrypts, all decrypt', () => {
    const [a, b] = [newKey(), newKey()];
    const fromFile = loadKeyRing({ key_file: keyFile(a, b) });
    assert.equal(fromFile.current.id, keyId(Buffer.from(a, 'base64')));
    assert.deepEqual([...fromFile.byId.keys()], [keyId(Buffer.from(a, 'base64')), keyId(Buffer.from(b, 'base64'))]);
    const fromEnv = loadKeyRing({ key_env: 'K' }, { K: `${b}, ${a}` });
    assert.equal(fromEnv.current.id, keyId(Buffer.from(b, 'base64')));
    assert.equal(fromEnv.byId.size, 2);
    assert.match(fromFile.current.id, /^[0-9a-f]{16}$/);
  });

  it('a missing or bad key is a usage error naming the field', () => {
    usageError(() => loadKeyRing({ key_env: 'DOCKTOR_NO_SUCH_KEY' }, {}), /^temporal\.encryption\.key_env: the environment variable DOCKTOR_NO_SUCH_KEY is not set or empty/);
    usageError(() => loadKeyRing({ key_file: path.join(dir, 'missing') }), /^temporal\.encryption\.key_file: cannot read .*missing.*openssl rand -base64 32/);
    usageError(() => loadKeyRing({ key_file: keyFile() }), /^temporal\.encryption\.key_file: no key found/);
    usageError(() => loadKeyRing({ key_file: keyFile(randomBytes(16).toString('base64')) }), /key 1 is not 32 bytes of base64 \(it decodes to 16 bytes\)/);
    usageError(() => loadKeyRing({ key_env: 'K' }, { K: `${newKey()} secret-passphrase` }), /^temporal\.encryption\.key_env: key 2 is not 32 bytes/);
  });

  it('the config names where the key is, never the key itself', () => {
    const base = 'services: [{ name: api, max_replicas: 2, rules: {} }]\n';
    const c = parseConfig(`temporal: { encryption: { key_file: keys/payload.key } }\n${base}`, '/srv/shop/docktor.yaml');
    assert.equal(c.temporal.encryption?.key_file, '/srv/shop/keys/payload.key', 'relative to the config file');
    for (const [enc, re] of [
      ['{}', /temporal\.encryption: set exactly one of key_file or key_env/],
      ['{ key_file: a, key_env: B }', /temporal\.encryption: set exactly one of key_file or key_env/],
      ['{ key: abc }', /temporal\.encryption\.key: unknown field/],
      ['{ key_env: "not a name" }', /temporal\.encryption\.key_env: an environment variable name/],
    ] as const) {
      assert.throws(() => parseConfig(`temporal: { encryption: ${enc} }\n${base}`, '/srv/shop/docktor.yaml'), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match(e.describe(), re);
        return true;
      });
    }
  });
});

describe('EncryptionCodec', () => {
  const secret = 'nats-token-7f3a91';
  const plain: Payload[] = [defaultPayloadConverter.toPayload({ token: secret }), defaultPayloadConverter.toPayload(null)];

  it('seals each payload whole: encoding binary/encrypted, the key id, no plaintext', async () => {
    const keys = loadKeyRing({ key_env: 'K' }, { K: newKey() });
    const codec = new EncryptionCodec(keys);
    const sealed = await codec.encode(plain);
    assert.equal(sealed.length, 2);
    for (const p of sealed) {
      assert.equal(text(p.metadata?.encoding), ENCODING_ENCRYPTED);
      assert.equal(text(p.metadata?.[METADATA_KEY_ID]), keys.current.id);
      assert.deepEqual(Object.keys(p.metadata ?? {}).sort(), ['encoding', METADATA_KEY_ID].sort());
      assert.ok(!text(p.data).includes(secret) && !text(p.data).includes('json/plain'));
    }
    const again = await codec.encode(plain);
    assert.notDeepEqual(again[0]?.data, sealed[0]?.data, 'a fresh IV per payload');
    const back = await codec.decode(sealed);
    assert.deepEqual(back.map((p) => defaultPayloadConverter.fromPayload(p)), [{ token: secret }, null]);
  });

  it('decodes payloads of an old key after rotation, and passes unencrypted ones through', async () => {
    const [oldKey, key] = [newKey(), newKey()];
    const before = await new EncryptionCodec(loadKeyRing({ key_env: 'K' }, { K: oldKey })).encode(plain);
    const rotated = new EncryptionCodec(loadKeyRing({ key_env: 'K' }, { K: `${key},${oldKey}` }));
    assert.deepEqual((await rotated.decode(before)).map((p) => defaultPayloadConverter.fromPayload(p)), [{ token: secret }, null]);
    const after = await rotated.encode(plain);
    assert.equal(text(after[0]?.metadata?.[METADATA_KEY_ID]), keyId(Buffer.from(key, 'base64')));
    assert.deepEqual(await rotated.decode(plain), plain);
  });

  it('a payload of an unknown key, or a wrong or altered one, fails clearly', async () => {
    const k1 = newKey();
    const sealed = await new EncryptionCodec(loadKeyRing({ key_env: 'K' }, { K: k1 })).encode(plain);
    const other = new EncryptionCodec(loadKeyRing({ key_env: 'K' }, { K: newKey() }));
    await assert.rejects(other.decode(sealed), (e: unknown) => {
      assert.ok(e instanceof PayloadDecryptionError);
      assert.match(e.message, new RegExp(`encrypted with key ${keyId(Buffer.from(k1, 'base64'))}, which is not among the keys of temporal\\.encryption`));
      return true;
    });
    const first = sealed[0] as Payload;
    const altered: Payload = { metadata: first.metadata, data: Buffer.from(first.data ?? []).map((b, i) => (i === 20 ? b ^ 1 : b)) };
    await assert.rejects(new EncryptionCodec(loadKeyRing({ key_env: 'K' }, { K: k1 })).decode([altered]), /the key is wrong or the data was altered/);
  });
});
