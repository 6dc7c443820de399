import { AppError } from '@bridge/shared';
import type { ReplyItem } from '../clients/braze.client';

type Send<R> = (items: ReplyItem[]) => Promise<R>;

interface Pending<R> {
  item: ReplyItem;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export interface BatcherOptions {
  /** recipients per request, at most Braze's 50 */
  maxSize: number;
  /** how long the first reply of a batch waits for company */
  maxWaitMs: number;
}

const recipientKey = (item: ReplyItem) => JSON.stringify(item.recipient);

/**
 * Gathers replies that are ready at about the same time into one Braze request. Each caller
 * gets its own outcome: a batch that fails as a whole with a retryable error fails every reply
 * in it (each job retries on its own); one that is refused (4xx) is sent again one reply per
 * request, so a single bad recipient cannot sink the others. A recipient appears at most once
 * per request (Braze would drop the repeat).
 */
export function createReplyBatcher<R>(send: Send<R>, { maxSize, maxWaitMs }: BatcherOptions) {
  let batch: Array<Pending<R>> = [];
  let timer: NodeJS.Timeout | undefined;

  async function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const current = batch;
    batch = [];
    if (current.length === 0) return;
    try {
      const result = await send(current.map((p) => p.item));
      for (const p of current) p.resolve(result);
    } catch (err) {
      const refused = err instanceof AppError && !err.retryable;
      if (!refused || current.length === 1) {
        for (const p of current) p.reject(err);
        return;
      }
      await Promise.all(current.map((p) => send([p.item]).then(p.resolve, p.reject)));
    }
  }

  return {
    submit(item: ReplyItem): Promise<R> {
      if (batch.some((p) => recipientKey(p.item) === recipientKey(item))) void flush();
      const promise = new Promise<R>((resolve, reject) => batch.push({ item, resolve, reject }));
      if (batch.length >= maxSize) void flush();
      else timer ??= setTimeout(() => void flush(), maxWaitMs);
      return promise;
    },
    /** sends what is waiting now (shutdown) */
    flush,
  };
}
export type ReplyBatcher<R> = ReturnType<typeof createReplyBatcher<R>>;
