// Messages between the module host and a module thread. Types only.

export type ModuleFunction = 'decide' | 'before' | 'after';

export interface ThreadRequest {
  id: number;
  file: string;
  fn: ModuleFunction;
  args: unknown[];
}

export type ThreadReply =
  | { id: number; kind: 'value'; value: unknown }
  /** The module does not export the function (its exports listed). */
  | { id: number; kind: 'missing'; exports: string[] }
  | { id: number; kind: 'load_error' | 'threw' | 'not_data'; error: string };
