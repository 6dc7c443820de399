import type { Logger } from '../logging/create-logger';

type Handler = { name: string; run: () => Promise<unknown> | unknown };

/**
 * Named shutdown steps, run once and in order on SIGTERM/SIGINT (or a fatal error), under one
 * deadline. Exit code 0 on a clean signal stop, 1 on a fatal error or a missed deadline.
 */
export function createShutdown(log: Logger, deadlineMs: number, exit: (code: number) => void = (c) => process.exit(c)) {
  const handlers: Handler[] = [];
  let started: Promise<void> | undefined;

  async function shutdown(reason: string, code = 0): Promise<void> {
    if (started) return started;
    started = (async () => {
      log.info('shutting down', { reason, deadlineMs });
      const timer = setTimeout(() => {
        log.error('shutdown deadline passed, exiting', { deadlineMs });
        exit(1);
      }, deadlineMs);
      timer.unref();
      for (const h of handlers) {
        try {
          await h.run();
        } catch (err) {
          log.warn('shutdown step failed', { step: h.name, error: (err as Error).message });
        }
      }
      clearTimeout(timer);
      log.info('stopped', { reason });
      exit(code);
    })();
    return started;
  }

  return {
    add(name: string, run: Handler['run']) {
      handlers.push({ name, run });
    },
    shutdown,
    listen() {
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.on('unhandledRejection', (err) => {
        log.error('unhandled rejection', { error: err });
        void shutdown('unhandledRejection', 1);
      });
      process.on('uncaughtException', (err) => {
        log.error('uncaught exception', { error: err });
        void shutdown('uncaughtException', 1);
      });
    },
  };
}

/** Runs a service's main(); a bad config or failed start-up prints one line and exits 1. */
export function runMain(service: string, main: () => Promise<unknown>): void {
  main().catch((err: Error) => {
    process.stderr.write(`${service}: ${err.message}\n`);
    process.exit(1);
  });
}
