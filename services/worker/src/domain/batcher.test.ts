import { UpstreamError } from '@bridge/shared';
import { createBatcher, type BatcherOptions } from './batcher';

interface Item { recipient: { external_user_id: string }; reply: string; campaign?: string; size?: number }
const item = (id: string, reply = `reply to ${id}`, extra: Partial<Item> = {}): Item => ({ recipient: { external_user_id: id }, reply, ...extra });
const byRecipient = { keyOf: (i: Item) => i.recipient.external_user_id };
const createReplyBatcher = (send: (group: string, items: Item[]) => Promise<unknown>, o: BatcherOptions<Item>) => createBatcher(send, { ...byRecipient, ...o });

function recordingSend(fail?: (items: Item[]) => Error | undefined) {
  const calls: Item[][] = [];
  const groups: string[] = [];
  const send = async (group: string, items: Item[]) => {
    calls.push(items);
    groups.push(group);
    const err = fail?.(items);
    if (err) throw err;
    return { n: items.length };
  };
  return { calls, groups, send };
}

describe('reply batcher', () => {
  test('when replies arrive together, then they go in one request with their own texts', async () => {
    const { calls, send } = recordingSend();
    const batcher = createReplyBatcher(send, { maxSize: 50, maxWaitMs: 5 });

    const results = await Promise.all(['a', 'b', 'c'].map((id) => batcher.submit(item(id))));

    expect(calls).toEqual([[item('a'), item('b'), item('c')]]);
    expect(results).toEqual([{ n: 3 }, { n: 3 }, { n: 3 }]);
  });

  test('when a batch is full, then it is sent at once and the rest start a new batch', async () => {
    const { calls, send } = recordingSend();
    const batcher = createReplyBatcher(send, { maxSize: 2, maxWaitMs: 10_000 });

    const first = Promise.all([batcher.submit(item('a')), batcher.submit(item('b'))]);
    await first;
    const third = batcher.submit(item('c'));
    await batcher.flush();
    await third;

    expect(calls.map((c) => c.map((i) => i.recipient))).toEqual([[{ external_user_id: 'a' }, { external_user_id: 'b' }], [{ external_user_id: 'c' }]]);
  });

  test('when the same recipient is submitted twice, then the second goes in a later request', async () => {
    const { calls, send } = recordingSend();
    const batcher = createReplyBatcher(send, { maxSize: 50, maxWaitMs: 5 });

    await Promise.all([batcher.submit(item('a', 'one')), batcher.submit(item('a', 'two'))]);

    expect(calls).toEqual([[item('a', 'one')], [item('a', 'two')]]);
  });

  test('when the whole request fails with a retryable error, then every reply in it fails (each retries on its own)', async () => {
    const { send } = recordingSend(() => new UpstreamError('braze', 'UPSTREAM_UNAVAILABLE', 'HTTP 503', { retryable: true }));
    const batcher = createReplyBatcher(send, { maxSize: 50, maxWaitMs: 5 });

    const results = await Promise.allSettled([batcher.submit(item('a')), batcher.submit(item('b'))]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  test('when a request is refused because of one bad recipient, then the others are sent one by one and only that one fails', async () => {
    const { calls, send } = recordingSend((items) =>
      items.some((i) => 'external_user_id' in i.recipient && i.recipient.external_user_id === 'bad')
        ? new UpstreamError('braze', 'UPSTREAM_REJECTED', 'HTTP 400', { retryable: false })
        : undefined);
    const batcher = createReplyBatcher(send, { maxSize: 50, maxWaitMs: 5 });

    const results = await Promise.allSettled(['a', 'bad', 'c'].map((id) => batcher.submit(item(id))));

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls.map((c) => c.length)).toEqual([3, 1, 1, 1]);
  });

  test('when replies belong to different campaigns, then each campaign gets its own request', async () => {
    const { calls, groups, send } = recordingSend();
    const batcher = createReplyBatcher(send, { maxSize: 50, maxWaitMs: 5, groupOf: (i) => i.campaign ?? 'default' });

    await Promise.all([batcher.submit(item('a', 'x', { campaign: 'c1' })), batcher.submit(item('b', 'y', { campaign: 'c2' })), batcher.submit(item('c', 'z', { campaign: 'c1' }))]);

    expect(groups.sort()).toEqual(['c1', 'c2']);
    expect(calls.map((c) => c.map((i) => i.recipient.external_user_id).join()).sort()).toEqual(['a,c', 'b']);
  });

  test('when items have sizes, then a request never carries more than maxSize in total', async () => {
    const { calls, send } = recordingSend();
    const batcher = createBatcher(send, { maxSize: 5, maxWaitMs: 5, sizeOf: (i: Item) => i.size ?? 1 });

    await Promise.all([batcher.submit(item('a', 'x', { size: 3 })), batcher.submit(item('b', 'y', { size: 3 })), batcher.submit(item('c', 'z', { size: 2 }))]);

    expect(calls.map((c) => c.map((i) => i.recipient.external_user_id))).toEqual([['a'], ['b', 'c']]);
  });
});
