import express from 'express';
import request from 'supertest';
import { createBasicAuth } from './basic-auth';
import type { DashboardUser } from './accounts';
import type { LoginThrottle } from './login-throttle';
import { captureLogger } from '../../../../test/helpers/capture-logger';

const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;

/** A throttle that blocks every login once `blocked` is set, and records what it was told. */
function switchableThrottle() {
  const calls: string[] = [];
  const state = { blocked: false };
  const throttle: LoginThrottle = {
    retryAfterMs: async () => (state.blocked ? 60_000 : 0),
    failed: async (_address, name) => { calls.push(`failed ${name}`); return 0; },
    succeeded: async (name) => { calls.push(`succeeded ${name}`); },
  };
  return { throttle, state, calls };
}

function appWith(options: { throttle: LoginThrottle; now: () => number }) {
  let checks = 0;
  const check = async (name: string, password: string): Promise<DashboardUser | undefined> => {
    checks++;
    return name === 'ops' && ['right-password', 'right:pass:word'].includes(password) ? { name: 'ops', role: 'admin' } : undefined;
  };
  const app = express();
  app.use(createBasicAuth({ check, isKnownName: (n) => n === 'ops', throttle: options.throttle, log: captureLogger().log, rememberMs: 1_000, now: options.now }));
  app.get('/', (req, res) => { res.json(req.user); });
  return { app, checks: () => checks };
}

describe('createBasicAuth', () => {
  test.each([
    ['no Authorization header', undefined],
    ['another scheme', 'Bearer right-password'],
    ['Basic without a colon', `Basic ${Buffer.from('ops').toString('base64')}`],
  ])('when the request has %s, then it answers 401 with the Basic challenge and counts no failure', async (_name, header) => {
    const { throttle, calls } = switchableThrottle();
    const { app } = appWith({ throttle, now: () => 0 });
    const req = request(app).get('/');
    const res = await (header ? req.set('Authorization', header) : req);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="bridge dashboard", charset="UTF-8"');
    expect(calls).toEqual([]);
  });

  test('when the password has a colon in it, then everything after the first colon is the password', async () => {
    const { throttle } = switchableThrottle();
    const { app } = appWith({ throttle, now: () => 0 });
    expect((await request(app).get('/').set('Authorization', basic('ops', 'right:pass:word'))).status).toBe(200);
  });

  test('when the same good credentials come again, then they are checked once and req.user is set each time', async () => {
    // Arrange
    const { throttle, calls } = switchableThrottle();
    const { app, checks } = appWith({ throttle, now: () => 0 });

    // Act
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await request(app).get('/').set('Authorization', basic('ops', 'right-password'))).body);

    // Assert
    expect(answers).toEqual(Array(3).fill({ name: 'ops', role: 'admin' }));
    expect(checks()).toBe(1);
    expect(calls).toEqual(['succeeded ops']);
  });

  test('when a signed-in browser keeps polling through a block, then it stays in; idle past the memory, it gets the 429', async () => {
    // Arrange
    let clock = 0;
    const { throttle, state } = switchableThrottle();
    const { app } = appWith({ throttle, now: () => clock });
    const get = () => request(app).get('/').set('Authorization', basic('ops', 'right-password'));
    await get();
    state.blocked = true;

    // Act: polls every 900 ms (within the 1 s memory), then a pause of 1.5 s
    const polls = [];
    for (let i = 0; i < 3; i++) {
      clock += 900;
      polls.push((await get()).status);
    }
    clock += 1_500;
    const afterPause = await get();

    // Assert
    expect(polls).toEqual([200, 200, 200]);
    expect(afterPause.status).toBe(429);
    expect(afterPause.headers['retry-after']).toBe('60');
  });
});
