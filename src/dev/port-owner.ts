// Which process listens on a TCP port, from /proc/net/tcp{,6} (the socket's inode) and
// /proc/<pid>/fd (who holds that inode). Only processes we may inspect (our own user, or all as
// root) can be named; otherwise the answer is undefined.
import fs from 'node:fs';

const LISTEN = '0A';

/** Inodes of the sockets listening on `port` in one /proc/net/tcp* table. */
export function listeningInodes(table: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === LISTEN && f[9] !== undefined && f[9] !== '0')
    .map((f) => f[9] as string);
}

export function portOwnerPid(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const i of listeningInodes(fs.readFileSync(file, 'utf8'), port)) inodes.add(`socket:[${i}]`);
    } catch {
      // no IPv6, or no /proc
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (inodes.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))) return Number(pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** The command line of a process, space-separated, or undefined when it is gone. */
export function commandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}
