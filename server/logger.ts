type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: Level): Logger {
  const min = order[level];
  const write = (l: Exclude<Level, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (order[l] < min) return;
    const time = new Date().toISOString();
    let extra = '';
    if (fields) {
      extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${v instanceof Error ? JSON.stringify(v.message) : typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
    }
    const line = `${time} ${l.toUpperCase().padEnd(5)} ${msg}${extra ? ' ' + extra : ''}\n`;
    (l === 'error' || l === 'warn' ? process.stderr : process.stdout).write(line);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
