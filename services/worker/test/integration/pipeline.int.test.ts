import { sendJobIdFor } from '@bridge/shared';
import { startPipeline, type Pipeline } from '../../../../test/helpers/pipeline';
import { replyText } from '../../../../test/helpers/stand-in-server';

const systemPrompt = 'You are a test assistant.';

describe('webhook to Braze reply, on a real Redis with stand-in AI and Braze', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('when a message arrives, then the AI and Braze get exactly the documented request bodies', async () => {
    p = await startPipeline();
    await p.replied({ message: 'Where is my order?' });

    expect(p.ai.requests).toHaveLength(1);
    expect(p.ai.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(p.ai.requests[0]!.headers.authorization).toBe('Bearer sk-test-ai-key');
    expect(p.ai.requests[0]!.body).toEqual({
      model: 'test-model',
      messages: [{ role: 'system', content: systemPrompt }, { role: 'user', content: 'Where is my order?' }],
    });
    expect(p.braze.requests).toHaveLength(1);
    expect(p.braze.requests[0]).toMatchObject({ method: 'POST', path: '/campaigns/trigger/send' });
    expect(p.braze.requests[0]!.headers.authorization).toBe('Bearer braze-test-key');
    expect(p.braze.requests[0]!.body).toEqual({
      campaign_id: 'campaign-123',
      recipients: [{ external_user_id: 'user-1', trigger_properties: { external_system_msg_body: 'echo: Where is my order?' } }],
    });
  });

  test('when the sender is unknown to Braze, then the reply goes by braze_id under the configured trigger property', async () => {
    p = await startPipeline({ BRAZE_TRIGGER_PROPERTY: 'reply_text' });
    await p.replied({ user_id: '', braze_id: 'bz-9', message: 'hi' });

    expect(p.braze.requests[0]!.body.recipients).toEqual([{ braze_id: 'bz-9', trigger_properties: { reply_text: 'echo: hi' } }]);
  });

  test('when the sender is unknown and UNKNOWN_SENDER_RECIPIENT=user_alias, then the reply goes to Braze as recipients[].user_alias', async () => {
    p = await startPipeline({ UNKNOWN_SENDER_RECIPIENT: 'user_alias' });
    await p.replied({ user_id: '', braze_id: 'bz-9', phone_number: '+15551234567', message: 'hi' });

    expect(p.braze.requests[0]!.body.recipients).toEqual([
      { user_alias: { alias_name: '+15551234567', alias_label: 'phone' }, trigger_properties: { external_system_msg_body: 'echo: hi' } },
    ]);
  });

  test('when a user writes again, then the AI sees the earlier turns in order', async () => {
    p = await startPipeline();
    await p.replied({ message: 'first' });
    await p.replied({ message: 'second' });

    expect(p.ai.requests[1]!.body.messages).toEqual([
      { role: 'system', content: systemPrompt },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'echo: first' },
      { role: 'user', content: 'second' },
    ]);
  });

  test('when HISTORY_MAX_TURNS is 1, then only the last turn is kept', async () => {
    p = await startPipeline({ HISTORY_MAX_TURNS: '1' });
    for (const m of ['one', 'two', 'three']) await p.replied({ message: m });

    expect(p.ai.requests[2]!.body.messages.map((m: { content: string }) => m.content)).toEqual([systemPrompt, 'two', 'echo: two', 'three']);
  });

  test('when the AI answers 429 with Retry-After, then the call is retried after that wait and one reply is sent', async () => {
    p = await startPipeline();
    p.ai.enqueue({ status: 429, body: { error: { message: 'slow down' } }, headers: { 'Retry-After': '1' } });
    await p.replied();

    expect(p.ai.requests).toHaveLength(2);
    expect(p.ai.requests[1]!.at - p.ai.requests[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(p.braze.requests).toHaveLength(1);
  });

  test.each([
    ['a 500', { status: 500, body: { error: 'boom' } }],
    ['a 503', { status: 503 }],
    ['a 2xx body that is not a completion', { raw: '<html>proxy error</html>', status: 200 }],
  ])('when the AI answers %s once, then the job is retried and one reply is sent', async (_name, reply) => {
    p = await startPipeline();
    p.ai.enqueue(reply as never);
    const id = await p.replied();

    expect(p.ai.requests).toHaveLength(2);
    expect(p.braze.requests).toHaveLength(1);
    expect((await p.worker.generateQueue.getJob(id))!.attemptsMade).toBe(2); // BullMQ counts the successful attempt too
  });

  test('when the AI hangs past AI_TIMEOUT_MS, then the call times out and is retried', async () => {
    p = await startPipeline({ AI_TIMEOUT_MS: '300' });
    p.ai.enqueue({ hang: true });
    await p.replied();

    expect(p.ai.requests).toHaveLength(2);
    expect(p.braze.requests).toHaveLength(1);
  });

  test('when the AI rejects the request (400), then the job fails at once with a readable reason and nothing is sent', async () => {
    p = await startPipeline();
    p.ai.enqueue({ status: 400, body: { error: { message: 'context_length_exceeded' } } });
    const id = await p.post();

    await expect(p.finished('generate', id)).rejects.toThrow(/HTTP 400: context_length_exceeded/);
    const job = await p.worker.generateQueue.getJob(id);
    expect(await job!.getState()).toBe('failed');
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toMatch(/UPSTREAM_REJECTED/);
    expect(p.braze.requests).toHaveLength(0);
  });

  test('when the AI fails for good and FALLBACK_MESSAGE is set, then the fallback is sent and the failed job keeps its reason', async () => {
    p = await startPipeline({ FALLBACK_MESSAGE: 'Sorry, we will get back to you shortly.' });
    p.ai.enqueue({ status: 401, body: { error: { message: 'bad key' } } });
    const id = await p.replied();

    expect(replyText(p.braze.requests[0]!.body)).toBe('Sorry, we will get back to you shortly.');
    expect(await (await p.worker.generateQueue.getJob(id))!.getState()).toBe('failed');
  });

  test('when the AI keeps failing, then the job stops after JOB_ATTEMPTS and stays failed', async () => {
    p = await startPipeline({ JOB_ATTEMPTS: '2' });
    p.ai.setScript(() => ({ status: 502 }));
    const id = await p.post();

    await expect(p.finished('generate', id)).rejects.toThrow(/HTTP 502/);
    expect(p.ai.requests).toHaveLength(2);
    expect(p.braze.requests).toHaveLength(0);
  });

  test.each([
    ['429 with Retry-After', { status: 429, body: { message: 'rate limited' }, headers: { 'Retry-After': '1' } }],
    ['503', { status: 503, body: { message: 'unavailable' } }],
  ])('when Braze answers %s once, then the send is retried without a second AI call', async (_name, reply) => {
    p = await startPipeline();
    p.braze.enqueue(reply as never);
    await p.replied();

    expect(p.ai.requests).toHaveLength(1);
    expect(p.braze.requests).toHaveLength(2);
    expect(p.braze.requests[1]!.body).toEqual(p.braze.requests[0]!.body);
  });

  test('when Braze rejects the send (400), then the send job fails at once with its reason', async () => {
    p = await startPipeline();
    p.braze.enqueue({ status: 400, body: { message: 'Invalid campaign_id' } });

    await expect(p.replied()).rejects.toThrow(/HTTP 400: Invalid campaign_id/);
    expect(p.braze.requests).toHaveLength(1);
  });

  test('when Braze says success but the campaign sent nothing (notice), then the send fails visibly', async () => {
    p = await startPipeline();
    p.braze.enqueue({ status: 201, body: { message: 'success', notice: 'The campaign is paused.' } });

    await expect(p.replied()).rejects.toThrow(/paused/);
  });

  test('when a user sends STOP, then neither the AI nor Braze is called, and the next message is answered', async () => {
    p = await startPipeline();
    const stop = await p.post({ message: 'Stop' });
    expect(await p.finished('generate', stop)).toMatchObject({ route: 'silent', silent: 'opt_out', parts: 0 });
    await p.replied({ message: 'hello again' });

    expect(p.ai.requests).toHaveLength(1);
    expect(p.ai.requests[0]!.body.messages.at(-1).content).toBe('hello again');
    expect(p.braze.requests).toHaveLength(1);
  });

  test('when a completed send job is run again, then Braze is not called a second time', async () => {
    p = await startPipeline();
    const id = await p.replied();
    const send = await p.worker.sendQueue.getJob(sendJobIdFor(id));
    await send!.retry('completed');

    expect(await p.finished('send', sendJobIdFor(id))).toMatchObject({ alreadySent: true });
    expect(p.braze.requests).toHaveLength(1);
  });
});
