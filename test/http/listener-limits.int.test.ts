import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { LISTENER_LIMITS, createHttpServer, listen } from '@bridge/shared';

/** Writes raw bytes to the server and resolves with everything it answered once it closed the connection. */
function exchange(port: number, chunks: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { answer += d; });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.on('connect', () => { for (const c of chunks) socket.write(c); });
  });
}

describe('the shared listener limits', () => {
  let server: http.Server;
  let port: number;
  let handled: number;
  beforeEach(async () => {
    handled = 0;
    // short timeouts so the test need not wait 10 s; the header limit is the production one
    server = createHttpServer((req, res) => {
      handled++;
      req.resume();
      req.on('end', () => res.end('ok'));
    }, { ...LISTENER_LIMITS, headersTimeoutMs: 200, requestTimeoutMs: 400, checkIntervalMs: 50 });
    await listen(server, 0, '127.0.0.1');
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));

  test('when the request headers are larger than the limit, then it answers 431 and the handler never runs', async () => {
    const answer = await exchange(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(LISTENER_LIMITS.maxHeaderBytes)}\r\n\r\n`]);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(handled).toBe(0);
  });

  test('when a client never finishes its headers, then it answers 408 and closes the connection', async () => {
    const answer = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(handled).toBe(0);
  });

  test('when a client never finishes its body, then it answers 408 and closes the connection', async () => {
    const answer = await exchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n', 'only part of it']);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('when a request is within the limits, then it is answered', async () => {
    const answer = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 200 [\s\S]*ok$/);
  });
});
