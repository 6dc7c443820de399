import winston from 'winston';

/** Keys whose values are secrets: always replaced, at every level. */
const SECRET_KEYS = /^(authorization|proxy-authorization|x-webhook-secret|cookie|set-cookie|.*(secret|password|api[-_]?key|token))$/i;
/** Whether a key (a header, a log field, an environment variable) names a secret. */
export const isSecretKey = (key: string) => SECRET_KEYS.test(key);
/** Keys whose values are personal data (message text, phone numbers, names): only with LOG_PII=true. */
const PII_KEYS = /^(message|text|content|reply|body|prompt|messages|phone|phone_number|phoneNumber|profile_name|profileName|media_urls|mediaUrls)$/i;

const REDACTED = '[redacted]';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Tests pass silent; services never do. */
  silent?: boolean;
  /** LOG_PII: keep personal data in the lines (a developer's machine only); secrets stay redacted. */
  logPii?: boolean;
}

function redactValue(value: unknown, keepPii: boolean, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[truncated]';
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code, stack: value.stack };
  if (Array.isArray(value)) return value.map((v) => redactValue(v, keepPii, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_KEYS.test(key)) out[key] = REDACTED;
    else if (!keepPii && PII_KEYS.test(key)) out[key] = REDACTED;
    else out[key] = redactValue(v, keepPii, depth + 1);
  }
  return out;
}

/**
 * Secrets are masked on every line; message text, phone numbers and names on every line, at every
 * level, unless keepPii (LOG_PII=true) is passed.
 */
export const redactFormat = winston.format((info, opts?: unknown) => {
  const keepPii = (opts as { keepPii?: boolean } | undefined)?.keepPii === true;
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    if (SECRET_KEYS.test(key)) info[key] = REDACTED;
    else if (!keepPii && PII_KEYS.test(key)) info[key] = REDACTED;
    else info[key] = redactValue(info[key], keepPii, 0);
  }
  return info;
});

export type Logger = winston.Logger;

export function createLogger({ service, level = 'info', silent = false, logPii = false }: LoggerOptions): Logger {
  return winston.createLogger({
    level,
    silent,
    defaultMeta: { service },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      redactFormat({ keepPii: logPii }),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}
