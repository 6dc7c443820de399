import request from 'supertest';
import { loadConfig } from '../../src/config';
import { createIngestApp, type IngestApp } from '../../src/ingest-app';
import { captureLogger } from '../../../../test/helpers/capture-logger';
import { ingestEnv, testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';
import { buildWebhookBody, postWebhook } from '../../../../test/helpers/webhook';

const TOKEN = 'admin-api-token-0123456789abcdef';
const NEXT_TOKEN = 'admin-api-token-next-0123456789ab';

describe('the admin API of the ingest (DELETE /users/<id>/data)', () => {
  let ingest: IngestApp;
  let logs: ReturnType<typeof captureLogger>;

  async function start(extra: Record<string, string> = { ADMIN_API_TOKEN: `${TOKEN},${NEXT_TOKEN}` }) {
    logs = captureLogger();
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), uniquePrefix(), extra)), logs.log);
    await ingest.queue.waitUntilReady();
  }
  afterEach(async () => {
    await ingest.queue.obliterate({ force: true });
    await ingest.close();
  });

  const erase = (path: string, token: string | null = TOKEN) => {
    const req = request(ingest.app).delete(path);
    return token === null ? req : req.set('Authorization', `Bearer ${token}`);
  };

  test.each([
    ['no token', null],
    ['a wrong token', 'wrong-token-wrong-token-wrong-token'],
    ['the webhook secret', 'test-webhook-secret-0123456789'],
  ])('when the request has %s, then it answers 401 JSON and removes nothing', async (_case, token) => {
    await start();
    const stored = await postWebhook(ingest.app, buildWebhookBody());

    const res = await erase('/users/user-1/data', token);

    expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(await ingest.queue.getJob(stored.body.id)).toBeDefined();
  });

  test.each([
    ['empty', '/users//data', 'must not be empty'],
    ['only spaces', '/users/%20%20/data', 'must not be empty'],
    ['over 512 characters', `/users/${'x'.repeat(513)}/data`, 'must be at most 512 characters'],
  ])('when the id is %s, then it answers 400 INVALID_ID naming the problem', async (_case, path, problem) => {
    await start();
    const res = await erase(path);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'INVALID_ID', message: `The user id ${problem}`, details: [{ field: 'id', problem }] });
  });

  test('when ADMIN_API_TOKEN is not set, then the route does not exist (404)', async () => {
    await start({});
    const res = await erase('/users/user-1/data');
    expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  test('when either of two rotated tokens is used, then the person is erased, and the log says how much without saying whom', async () => {
    await start();
    const stored = await postWebhook(ingest.app, buildWebhookBody({ user_id: 'erase-this-user-42' }));

    const res = await erase('/users/erase-this-user-42/data', NEXT_TOKEN);

    expect(res.status).toBe(200);
    expect(res.body.removed).toEqual({ keys: expect.any(Number), jobs: { 'reply-generate': 1 } });
    expect(await ingest.queue.getJob(stored.body.id)).toBeUndefined();
    expect((await erase('/users/erase-this-user-42/data', TOKEN)).body).toEqual({ removed: { keys: 0, jobs: {} } });
    expect(logs.lines.find((l) => l.message === 'personal data erased')).toMatchObject({ keys: res.body.removed.keys, jobs: 1 });
    expect(logs.text()).not.toContain('erase-this-user-42');
  });
});
