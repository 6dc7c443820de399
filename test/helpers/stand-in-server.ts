import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** the body as it came, for signature checks */
  raw: string;
  at: number;
}

/** What a scripted answer does: a status/body/headers, a hang, or a garbage body. */
export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { hang: true }
  | { raw: string | Buffer; status?: number; headers?: Record<string, string> };

type Script = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

/**
 * A real HTTP server on 127.0.0.1 standing in for the AI or Braze. It records every request
 * and answers from a script (one entry per request, then the default).
 */
export async function startStandIn(defaultReply: Script) {
  const requests: RecordedRequest[] = [];
  const queued: Reply[] = [];
  let script: Script = defaultReply;
  const waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', async () => {
      let body: unknown = raw;
      try { body = JSON.parse(raw); } catch { /* keep text */ }
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, raw, at: Date.now() };
      const index = requests.push(recorded) - 1;
      for (const w of [...waiters]) if (w.ready()) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
      const reply = queued.shift() ?? (await script(recorded, index));
      if ('hang' in reply) return; // never answer: the client's timeout must fire
      if ('raw' in reply) {
        res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json', ...reply.headers });
        return res.end(reply.raw);
      }
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      return res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** The next answers, in order, before the default script applies again. */
    enqueue(...replies: Reply[]) { queued.push(...replies); },
    setScript(next: Script) { script = next; },
    /** Resolves once `ready(requests)` holds, checked as each request arrives. */
    waitUntil(ready: (all: RecordedRequest[]) => boolean): Promise<void> {
      if (ready(requests)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ ready: () => ready(requests), resolve }));
    },
    waitForRequests(n: number): Promise<void> {
      return this.waitUntil((all) => all.length >= n);
    },
    /** Braze stand-in: every recipient of every /campaigns/trigger/send request so far (a request may carry up to 50). */
    recipients(): Array<Record<string, any>> {
      return requests.flatMap((r) => (Array.isArray(r.body?.recipients) ? r.body.recipients : []));
    },
    waitForRecipients(n: number): Promise<void> {
      return this.waitUntil(() => this.recipients().length >= n);
    },
    close(): Promise<void> {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
export type StandIn = Awaited<ReturnType<typeof startStandIn>>;

/** An OpenAI-compatible stand-in: echoes the last user message, with usage. */
export const echoAi: Script = (req) => {
  const messages = (req.body?.messages ?? []) as Array<{ role: string; content: string }>;
  const last = messages[messages.length - 1]?.content ?? '';
  return { status: 200, body: { choices: [{ message: { role: 'assistant', content: `echo: ${last}` } }], usage: { prompt_tokens: 10, completion_tokens: 5 } } };
};

/** Braze's success answer for /campaigns/trigger/send. */
export const brazeOk: Script = () => ({ status: 201, body: { dispatch_id: 'dispatch-1', message: 'success' } });

/** The reply text in a Braze send body (its first recipient's trigger property). */
export const replyText = (body: any) => body.recipients[0].trigger_properties.external_system_msg_body as string;
