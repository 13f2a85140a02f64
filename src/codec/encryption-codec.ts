// Temporal's documented PayloadCodec for encryption: each payload (metadata and data, as the
// Payload protobuf) is sealed with AES-256-GCM and replaced by one with the encoding
// `binary/encrypted` and the key's id in its metadata, so the right key is found after rotation.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { OperationError } from '../errors';
import type { KeyRing } from './keys';

export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A payload that cannot be decrypted: its key is not configured, or the key or data is wrong. */
export class PayloadDecryptionError extends OperationError {
  override name = 'PayloadDecryptionError';
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys.current;
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([iv, cipher.update(ProtoPayload.encode(p).finish()), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: utf8.encode(ENCODING_ENCRYPTED), [METADATA_KEY_ID]: utf8.encode(id) }, data: sealed };
    });
  }

  /** Payloads that are not encrypted (written before encryption was on) pass through as they are. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || fromUtf8.decode(encoding) !== ENCODING_ENCRYPTED) return p;
      const idBytes = p.metadata?.[METADATA_KEY_ID];
      const id = idBytes ? fromUtf8.decode(idBytes) : '(none)';
      const k = this.keys.byId.get(id);
      if (!k) {
        throw new PayloadDecryptionError(
          `cannot decrypt a payload: it was encrypted with key ${id}, which is not among the keys of temporal.encryption ` +
            `(${[...this.keys.byId.keys()].join(', ')}); add that key after the current one (docs/operations.md, "Rotating keys")`,
        );
      }
      const data = p.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`cannot decrypt a payload with key ${id}: it is truncated (${data.length} bytes)`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', k.key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return ProtoPayload.decode(plain);
      } catch (e) {
        throw new PayloadDecryptionError(`cannot decrypt a payload with key ${id}: the key is wrong or the data was altered (${(e as Error).message})`);
      }
    });
  }
}
