import { UpstreamError } from '@bridge/shared';
import type { ReplyItem } from '../clients/braze.client';
import { createReplyBatcher } from './reply-batcher';

const item = (id: string, reply = `reply to ${id}`): ReplyItem => ({ recipient: { external_user_id: id }, reply });

function recordingSend(fail?: (items: ReplyItem[]) => Error | undefined) {
  const calls: ReplyItem[][] = [];
  const send = async (items: ReplyItem[]) => {
    calls.push(items);
    const err = fail?.(items);
    if (err) throw err;
    return { n: items.length };
  };
  return { calls, send };
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
});
