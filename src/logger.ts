/**
 * A minimal structured logger: one JSON line per event on stderr. The
 * dispatcher core only needs these three levels; the HTTP server uses
 * Fastify's own pino logger. Secrets are never passed to it.
 */
export interface Logger {
  info(fields: Record<string, unknown> | string, msg?: string): void;
  warn(fields: Record<string, unknown> | string, msg?: string): void;
  error(fields: Record<string, unknown> | string, msg?: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const min = RANK[level];
  const emit = (lvl: 'info' | 'warn' | 'error') => (fields: Record<string, unknown> | string, msg?: string) => {
    if (RANK[lvl] < min) return;
    const base = typeof fields === 'string' ? { msg: fields } : { ...fields, ...(msg === undefined ? {} : { msg }) };
    write(JSON.stringify({ level: lvl, time: new Date().toISOString(), ...base }));
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
