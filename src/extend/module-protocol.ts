// Messages between the module host and a module thread. Types only.

export type ModuleFunction = 'decide' | 'before' | 'after';

/** What the thread is started with (worker_threads workerData). */
export interface ThreadData {
  /** Absolute path of the module the thread imports at start. */
  file: string;
}

/** The thread's first message: whether the module imported. */
export type ThreadLoaded = { kind: 'loaded'; exports: string[] } | { kind: 'load_error'; error: string };

export interface ThreadRequest {
  id: number;
  fn: ModuleFunction;
  args: unknown[];
}

export type ThreadReply =
  | { id: number; kind: 'value'; value: unknown }
  /** The module does not export the function. */
  | { id: number; kind: 'missing' }
  | { id: number; kind: 'threw' | 'not_data'; error: string };
