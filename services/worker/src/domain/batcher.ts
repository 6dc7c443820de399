import { AppError } from '@bridge/shared';

type Send<I, R> = (group: string, items: I[]) => Promise<R>;

interface Pending<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export interface BatcherOptions<I> {
  /** what one request may carry: Braze takes 50 recipients, or 75 profile objects */
  maxSize: number;
  /** how long the first item of a batch waits for company */
  maxWaitMs: number;
  /** items of different groups never share a request (a campaign id) */
  groupOf?: (item: I) => string;
  /** two items with the same key never share a request (Braze would drop the repeat recipient) */
  keyOf?: (item: I) => string;
  /** how much of maxSize an item takes (a profile write with its events) */
  sizeOf?: (item: I) => number;
}

/**
 * Gathers items that are ready at about the same time into one request per group. Each caller
 * gets its own outcome: a batch that fails as a whole with a retryable error fails every item in
 * it (each job retries on its own); one that is refused (4xx) is sent again one item per request,
 * so a single bad recipient cannot sink the others.
 */
export function createBatcher<I, R>(send: Send<I, R>, { maxSize, maxWaitMs, groupOf = () => '', keyOf, sizeOf = () => 1 }: BatcherOptions<I>) {
  const batches = new Map<string, { items: Array<Pending<I, R>>; size: number; timer?: NodeJS.Timeout }>();

  async function flushGroup(group: string): Promise<void> {
    const batch = batches.get(group);
    if (!batch) return;
    batches.delete(group);
    clearTimeout(batch.timer);
    const current = batch.items;
    try {
      const result = await send(group, current.map((p) => p.item));
      for (const p of current) p.resolve(result);
    } catch (err) {
      const refused = err instanceof AppError && !err.retryable;
      if (!refused || current.length === 1) {
        for (const p of current) p.reject(err);
        return;
      }
      await Promise.all(current.map((p) => send(group, [p.item]).then(p.resolve, p.reject)));
    }
  }

  return {
    submit(item: I): Promise<R> {
      const group = groupOf(item);
      const size = Math.min(sizeOf(item), maxSize);
      const open = batches.get(group);
      if (open && (open.size + size > maxSize || (keyOf && open.items.some((p) => keyOf(p.item) === keyOf(item))))) void flushGroup(group);
      let batch = batches.get(group);
      if (!batch) {
        batch = { items: [], size: 0 };
        batches.set(group, batch);
      }
      const promise = new Promise<R>((resolve, reject) => batch.items.push({ item, resolve, reject }));
      batch.size += size;
      if (batch.size >= maxSize) void flushGroup(group);
      else batch.timer ??= setTimeout(() => void flushGroup(group), maxWaitMs);
      return promise;
    },
    /** sends what is waiting now (shutdown) */
    async flush(): Promise<void> {
      await Promise.all([...batches.keys()].map(flushGroup));
    },
  };
}
export type Batcher<I, R> = ReturnType<typeof createBatcher<I, R>>;
