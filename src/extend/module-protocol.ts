// Messages between the module host and a module thread. Types only.

export type ModuleFunction = 'decide' | 'before' | 'after';

export interface ThreadRequest {
  id: number;
  file: string;
  /** `exports`: only load the module and list what it exports (`docktor config validate`). */
  fn: ModuleFunction | 'exports';
  args: unknown[];
}

export type ThreadReply =
  | { id: number; kind: 'value'; value: unknown }
  /** The module does not export the function, or `exports` was asked: its functions listed. */
  | { id: number; kind: 'missing' | 'exports'; exports: string[] }
  | { id: number; kind: 'load_error' | 'threw' | 'not_data'; error: string };
