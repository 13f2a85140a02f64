// One child process of the soak (a server or a worker) that the nemesis kills, pauses and
// restarts: the same command each time, its output read line by line and stamped as it is read,
// and kept in memory (for the checkers) and in a file in the run directory (for a person).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface Line {
  /** When the harness read it (ms since the epoch). */
  at: number;
  source: string;
  text: string;
}

export class Proc {
  private child: ChildProcess | undefined;
  private exitedP: Promise<void> = Promise.resolve();
  /** Every pid it ran as, for the teardown check. */
  readonly pids: number[] = [];
  stopped = false;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    private readonly onLine: (line: Line) => void,
  ) {}

  start(): number {
    if (this.alive()) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    const child = spawn(this.command, this.args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.stopped = false;
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${this.name}: spawn ${this.command} failed`);
    this.pids.push(pid);
    const reader = (stream: NodeJS.ReadableStream | null, tag: string) => {
      let rest = '';
      stream?.on('data', (d: Buffer) => {
        const at = Date.now();
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop() ?? '';
        for (const text of parts) {
          fs.appendFileSync(this.logFile, `${new Date(at).toISOString()} ${tag} ${text}\n`);
          this.onLine({ at, source: this.name, text });
        }
      });
    };
    reader(child.stdout, 'out');
    reader(child.stderr, 'err');
    this.exitedP = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        fs.appendFileSync(this.logFile, `${new Date().toISOString()} --- ${this.name} pid ${pid} exited ${code ?? signal}\n`);
        resolve();
      });
    });
    return pid;
  }

  get pid(): number | undefined {
    return this.alive() ? this.child?.pid : undefined;
  }

  alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL and wait for the exit. */
  async kill9(): Promise<void> {
    if (!this.alive()) return;
    this.child?.kill('SIGKILL');
    await this.exitedP;
  }

  pause(): void {
    this.stopped = true;
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.stopped = false;
    this.child?.kill('SIGCONT');
  }

  /** SIGTERM (after SIGCONT, in case it is paused), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.alive()) return;
    this.resume();
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exitedP;
    clearTimeout(timer);
  }

  /** Up and not paused. */
  up(): boolean {
    return this.alive() && !this.stopped;
  }
}
