import { Writable } from 'node:stream';
import winston from 'winston';
import { redactFormat, type Logger } from '@bridge/shared';

/** A logger like the services' (same redaction) whose JSON lines are kept for assertions. */
export function captureLogger(level = 'info', options: { logPii?: boolean } = {}): { log: Logger; lines: Array<Record<string, any>>; text: () => string } {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const log = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.errors({ stack: true }), redactFormat({ keepPii: options.logPii === true }), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { log, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}
