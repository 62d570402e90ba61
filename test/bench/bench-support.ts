/**
 * Small helpers shared by the benchmarks: percentiles, the machine's load, and the CPU time that
 * PostgreSQL's backends of one database spent (read from /proc: the server runs on this machine).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type pg from 'pg';

export function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
export const sortNum = (a: number[]) => [...a].sort((x, y) => x - y);
export const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** "machine: 2 CPUs, load average 1.23 0.98 0.50": other work on the machine shows in every figure. */
export function machineLine(when = 'now'): string {
  const l = loadavg();
  return `machine: ${cpus().length} CPUs, load average ${when} ${l.map((x) => x.toFixed(2)).join(' ')}`;
}

// Linux: utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second).
const TICKS = 100;
function procCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS) * 1000;
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds spent by the PostgreSQL backends serving database `db` (every connection to it,
 * the app's pool and LISTEN connections included). Call once to start, and the returned function
 * to read the time since. Backends that ended in between are not counted (keep pools warm).
 */
export async function postgresCpu(client: pg.Client, db: string): Promise<() => Promise<number | null>> {
  const backends = async () =>
    (await client.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db])).rows.map((r) => r.pid);
  const start = new Map<number, number>();
  for (const pid of await backends()) {
    const t = procCpuMs(pid);
    if (t !== null) start.set(pid, t);
  }
  if (!start.size) return async () => null; // not on this machine
  return async () => {
    let total = 0;
    for (const pid of await backends()) {
      const t = procCpuMs(pid);
      if (t !== null) total += t - (start.get(pid) ?? 0);
    }
    return total;
  };
}
