// How every source turns a client library's error into docktor's typed errors, with the source
// named and its URL masked: ConfigurationError when the config disagrees with the live system
// (retrying will not help: wrong credentials, a missing queue, a TLS setup that fails),
// UnavailableError when the server could not be reached or answered too late (worth retrying).
import { ConfigurationError, DocktorError, UnavailableError } from '../errors';
import { redactUrl } from './secrets';

/** An error's message with its cause's, and any URL in it masked. */
export function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return redactText(String(err));
  const errors = (err as { errors?: unknown }).errors;
  // AggregateError (e.g. a connect tried on ::1 and 127.0.0.1) says nothing in its own message.
  if (!err.message && Array.isArray(errors) && errors.length > 0) return errors.map(messageOf).join('; ');
  const cause = err.cause instanceof Error && err.cause.message !== err.message ? `: ${err.cause.message}` : '';
  return redactText(`${err.message || err.name}${cause}`);
}

/** Masks credentials in any URL inside free text (error messages quote connection strings). */
export function redactText(text: string): string {
  return text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s'"<>]+/g, (url) => redactUrl(url));
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

function codeOf(err: unknown): string {
  if (!(err instanceof Error)) return '';
  const own = (err as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  return err.cause instanceof Error ? codeOf(err.cause) : '';
}

export function isNetworkError(err: unknown): boolean {
  const errors = err instanceof Error ? (err as { errors?: unknown }).errors : undefined;
  if (Array.isArray(errors) && errors.some(isNetworkError)) return true;
  return NETWORK_CODES.has(codeOf(err)) || (err instanceof Error && /timed? ?out|socket hang up|connection (closed|refused|reset)/i.test(err.message));
}

export function isTlsError(err: unknown): boolean {
  const code = codeOf(err);
  return /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code) || /certificate|SSL routines|wrong version number/i.test(messageOf(err));
}

export interface FailureContext {
  /** The source as an operator knows it, masked: e.g. `Redis at redis://127.0.0.1:6379`. */
  what: string;
  /** The config field to fix for a configuration problem, e.g. `queue.url`. */
  field: string;
  /** Kind-specific: this error means the credentials were refused. */
  isAuthError?: (err: unknown) => boolean;
  /** Kind-specific: this error means the config names something that does not exist. */
  configurationProblem?: (err: unknown) => string | undefined;
}

/** The typed error for a failed read or check of a source. */
export function sourceError(ctx: FailureContext, err: unknown): Error {
  if (err instanceof DocktorError) return err;
  const msg = messageOf(err);
  const problem = ctx.configurationProblem?.(err);
  if (problem) return new ConfigurationError(`${ctx.what}: ${problem}`, ctx.field);
  if (ctx.isAuthError?.(err)) return new ConfigurationError(`${ctx.what} refused the credentials (${msg}): check ${ctx.field} and its password/token fields`, ctx.field);
  if (isTlsError(err)) return new ConfigurationError(`TLS with ${ctx.what} failed (${msg}): check the TLS settings and the server's certificate`, ctx.field);
  if (isNetworkError(err)) return new UnavailableError(`${ctx.what} is unreachable: ${msg}; is the server running there? (${ctx.field})`, { cause: err });
  return new UnavailableError(`${ctx.what} failed: ${msg}`, { cause: err });
}

/** Rejects with UnavailableError when `work` takes longer than `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
