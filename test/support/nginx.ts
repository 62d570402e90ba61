import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX_BIN = '/usr/sbin/nginx';

/** A TCP port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1' });
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

export interface RunningNginx {
  url: string;
  port: number;
  dir: string;
  accessLog(): string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Renders deploy/nginx.conf as an operator would (placeholders → these ports) and, for running
 * unprivileged in a temporary directory, points its log and temp paths there; then runs the Debian
 * nginx in the foreground. Nothing else of the shipped file is changed.
 */
export function renderNginxConf(source: string, opts: { listen: string; upstreams: [string, string]; dir: string }): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${join(opts.dir, k)};`).join('\n');
  const out = source
    .replaceAll('__LISTEN__', opts.listen)
    .replaceAll('__APP_1__', opts.upstreams[0])
    .replaceAll('__APP_2__', opts.upstreams[1])
    .replaceAll('/var/log/nginx/', opts.dir + '/')
    .replace(/^http \{$/m, `http {\n${temp}`);
  if (/__[A-Z0-9_]+__/.test(out)) throw new Error('deploy/nginx.conf has a placeholder the test does not fill');
  return out;
}

export async function startNginx(opts: { upstreams: [string, string]; confPath?: string }): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'admit-nginx-'));
  // Run as root, nginx's workers run as the file's `user` (www-data) and must reach the temp paths.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = renderNginxConf(readFileSync(opts.confPath ?? 'deploy/nginx.conf', 'utf8'), { listen: `127.0.0.1:${port}`, upstreams: opts.upstreams, dir });
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const errorLog = join(dir, 'admit-error.log');
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', errorLog, '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await portOpen(port)) {
      return { url: `http://127.0.0.1:${port}`, port, dir, accessLog: () => read(join(dir, 'admit-access.log')), errorLog: () => read(errorLog), stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const why = out + read(errorLog);
  await stop();
  throw new Error('nginx did not start:\n' + why);
}
