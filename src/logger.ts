import { pino, type DestinationStream, type LoggerOptions } from 'pino';

/**
 * Logging is pino, the same library Fastify logs HTTP requests with, set up
 * once here so the dispatcher's lines and the server's look alike: one JSON
 * object per line on stderr, level names ("info"), ISO time, no pid or
 * hostname.
 *
 * Secrets: tokens, join secrets, Authorization headers and signed-URL
 * signatures are bearer capabilities. Code does not pass them to the
 * logger; the redaction below is the second line of defence in case a
 * field carrying one is logged anyway (test/logger.test.ts).
 */
export interface Logger {
  info(fields: Record<string, unknown> | string, msg?: string): void;
  warn(fields: Record<string, unknown> | string, msg?: string): void;
  error(fields: Record<string, unknown> | string, msg?: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Field paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'token', '*.token', 'node_token', '*.node_token', 'join_secret', '*.join_secret', 'secret', '*.secret',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'request.headers.authorization',
];

/** A signed blob URL's `sig` parameter is a bearer capability for that blob. */
const URL_SIGNATURE = /([?&]sig=)[^&#\s"]*/g;

/** Replaces the signature of every signed URL in `text`. */
export function redactUrlSignatures(text: string): string {
  return text.replace(URL_SIGNATURE, '$1[redacted]');
}

/** pino options shared by the dispatcher's logger and Fastify's (src/cli/commands/serve.ts). */
export function pinoOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    base: null,
    formatters: {
      level: (label: string) => ({ level: label }),
      // a field may quote a URL (a data_url that failed): strip signatures from top-level strings
      log: (fields) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? redactUrlSignatures(v) : v])),
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    hooks: {
      // so may the message
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactUrlSignatures(arg) : arg)) as typeof args);
      },
    },
  };
}

export function createLogger(level: LogLevel = 'info', destination: DestinationStream = process.stderr): Logger {
  return pino(pinoOptions(level), destination);
}

export const silentLogger: Logger = pino({ level: 'silent' });
