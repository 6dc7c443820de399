import { isConnectionError } from './create-redis';

describe('isConnectionError', () => {
  it.each([
    { what: 'a refused connection', message: 'connect ECONNREFUSED 127.0.0.1:6379', code: 'ECONNREFUSED', expected: true },
    { what: 'a reset connection', message: 'read ECONNRESET', code: 'ECONNRESET', expected: true },
    { what: 'a connect timeout', message: 'connect ETIMEDOUT', code: 'ETIMEDOUT', expected: true },
    { what: 'an unknown host', message: 'getaddrinfo ENOTFOUND redis', code: 'ENOTFOUND', expected: true },
    { what: 'a connection ioredis closed', message: 'Connection is closed.', code: undefined, expected: true },
    { what: 'a refusal named only in the message', message: 'Error: connect ECONNREFUSED 10.0.0.1:6379', code: undefined, expected: true },
    { what: 'a script error', message: 'ERR Error running script', code: undefined, expected: false },
    { what: 'an out-of-memory reply', message: "OOM command not allowed when used memory > 'maxmemory'", code: undefined, expected: false },
    { what: 'a wrong password', message: 'WRONGPASS invalid username-password pair or user is disabled.', code: undefined, expected: false },
  ])('when the error is $what, then isConnectionError is $expected', ({ message, code, expected }) => {
    expect(isConnectionError(Object.assign(new Error(message), { code }))).toBe(expected);
  });
});
