import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'server-main.ts');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  origin: string;
  /** True while the server process has not exited. */
  alive(): boolean;
  /** Current and peak resident memory of the server process, in bytes. */
  memory(): Promise<{ rss: number; peakRss: number }>;
  resetPeak(): Promise<void>;
  /** The messages the server logged so far (newest 1,000; at the LOG_LEVEL given in env, default error). */
  logged(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts the real server (startApp) in a child process on port 0 of 127.0.0.1. */
export async function startServerProcess(databaseUrl: string, env: Record<string, string> = {}, opts: { realLimits?: boolean } = {}): Promise<ServerProcess> {
  const child = fork(MAIN, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      ADMIT_CHILD_ENV: JSON.stringify(env),
      ADMIT_CHILD_DATABASE_URL: databaseUrl,
      ADMIT_CHILD_REAL_LIMITS: opts.realLimits ? '1' : '0',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const ready = await new Promise<{ port: number; origin: string }>((resolve, reject) => {
    const onMsg = (m: any) => {
      if (m?.type === 'ready') {
        child.off('message', onMsg);
        resolve(m);
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`server process exited with code ${code} before it was ready`)));
  });
  const ask = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error('server process has exited'));
      const onMsg = (m: any) => {
        if (m?.type === type) {
          child.off('message', onMsg);
          resolve(m as T);
        }
      };
      child.on('message', onMsg);
      child.send({ type });
    });
  return {
    child,
    port: ready.port,
    url: `http://127.0.0.1:${ready.port}`,
    origin: ready.origin,
    alive: () => !exited && child.exitCode === null && child.signalCode === null,
    memory: () => ask('memory'),
    resetPeak: () => ask('reset-peak'),
    logged: async () => (await ask<{ messages: string[] }>('log')).messages,
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}
