// Loaded by path (the SDK's `failureConverterPath`) into the worker, its workflow bundle and the
// client when encryption is on: error messages and stack traces go into a payload, which the
// codec then encrypts; they can name hosts, streams or URLs.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
