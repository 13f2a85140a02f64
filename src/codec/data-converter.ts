// The SDK data converter for a `temporal` config block: Temporal's defaults, or with
// `temporal.encryption` the encryption codec and encoded failure messages. The worker and every
// client use this, so they agree on what is in the history.
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import type { TemporalConfig } from '../config/file';
import { EncryptionCodec } from './encryption-codec';
import { loadKeyRing } from './keys';

export const FAILURE_CONVERTER_PATH = path.join(__dirname, 'failure-converter.js');

/** Undefined without `temporal.encryption`; throws a UsageError naming the field for a bad key. */
export function dataConverterFor(t: TemporalConfig, env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  if (!t.encryption) return undefined;
  return { payloadCodecs: [new EncryptionCodec(loadKeyRing(t.encryption, env))], failureConverterPath: FAILURE_CONVERTER_PATH };
}
