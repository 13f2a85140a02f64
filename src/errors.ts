// Typed errors that the CLI maps to exit codes: 2 for bad usage or invalid input,
// 1 for a failed check or operation.

export interface FieldIssue {
  /** Field path as users write it, e.g. `services[1].queue.stream` (empty for the whole input). */
  path: string;
  message: string;
}

export abstract class DocktorError extends Error {
  abstract readonly exitCode: 1 | 2;
}

/** Wrong command-line usage: unknown option, missing argument, bad value. Exit 2. */
export class UsageError extends DocktorError {
  readonly exitCode = 2;
  override name = 'UsageError';
}

/** Invalid config or decision input; lists every issue with its field path. Exit 2. */
export class InputError extends DocktorError {
  readonly exitCode = 2;
  override name = 'InputError';
  constructor(
    readonly source: string,
    readonly issues: FieldIssue[],
  ) {
    super(`${source}: ${issues.map(formatIssue).join('; ')}`);
  }
  /** One line per issue, prefixed with the source (file name or `input`). */
  describe(): string {
    return this.issues.map((i) => `${this.source}: ${formatIssue(i)}`).join('\n');
  }
}

/** A check or an operation against a live system failed. Exit 1. */
export class OperationError extends DocktorError {
  readonly exitCode = 1;
  override name = 'OperationError';
}

export function formatIssue(i: FieldIssue): string {
  return i.path ? `${i.path}: ${i.message}` : i.message;
}

/**
 * The live system disagrees with the config (a stream, consumer, container or service that does
 * not exist). Retrying will not help: activities turn it into a non-retryable failure.
 */
export class ConfigurationError extends DocktorError {
  readonly exitCode = 1;
  override name = 'ConfigurationError';
  constructor(
    message: string,
    /** The config field the problem is about, e.g. `services[0].queue.stream`, when known. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A dependency (NATS, Docker, Temporal) could not be reached; worth retrying. */
export class UnavailableError extends DocktorError {
  readonly exitCode = 1;
  override name = 'UnavailableError';
}

/**
 * The replicas are supervised by another worker process (the process runtime's owner lock): this
 * worker cannot act on them. Retried a few times only (the owner may be gone in a moment).
 */
export class NotOwnerError extends UnavailableError {
  override name = 'NotOwnerError';
}

/** A newer apply of the same service has already acted (the apply fence): this one must not. */
export class SupersededError extends DocktorError {
  readonly exitCode = 1;
  override name = 'SupersededError';
}
