import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { freePort } from './redis-server';

const ROOT = path.resolve(__dirname, '../..');
const API_DIR = path.join(ROOT, 'services/worker/src/chatwoot');
export const CHATWOOT_OPENAPI = path.join(API_DIR, 'chatwoot-api.openapi.yaml');
export const CHATWOOT_OVERLAY = path.join(API_DIR, 'chatwoot-api.overlay.yaml');

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(target: unknown, update: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(update)) return [...target, ...update];
  if (!isObject(target) || !isObject(update)) return update;
  const out: Json = { ...target };
  for (const [k, v] of Object.entries(update)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

/**
 * Applies an OpenAPI Overlay 1.0 document (https://spec.openapis.org/overlay/v1.0.0.html) with
 * `update` actions on plain member paths ($.paths, $.components.schemas, $['paths']): all this
 * project's overlay uses. Anything else throws rather than being skipped.
 */
export function applyOverlay(document: Json, overlay: Json): Json {
  if (typeof overlay.overlay !== 'string' || !overlay.overlay.startsWith('1.')) throw new Error('not an OpenAPI Overlay 1.x document');
  let result: Json = structuredClone(document);
  for (const action of (overlay.actions ?? []) as Array<{ target: string; update?: unknown; remove?: boolean }>) {
    if (action.remove || action.update === undefined) throw new Error(`overlay action on ${action.target}: only "update" is supported`);
    const members = action.target.match(/^\$((?:\.[A-Za-z_][\w-]*|\['[^']+'\])*)$/);
    if (!members) throw new Error(`overlay target ${action.target}: only plain member paths are supported`);
    const keys = [...members[1]!.matchAll(/\.([A-Za-z_][\w-]*)|\['([^']+)'\]/g)].map((m) => m[1] ?? m[2]!);
    const updateAt = (node: unknown, i: number): unknown => {
      if (i === keys.length) return merge(node, action.update);
      if (!isObject(node) || !(keys[i]! in node)) throw new Error(`overlay target ${action.target} is not in the document`);
      return { ...node, [keys[i]!]: updateAt(node[keys[i]!], i + 1) };
    };
    result = updateAt(result, 0) as Json;
  }
  return result;
}

/** The project's description of the Chatwoot API with its overlay applied: what the mock serves. */
export function chatwootApiDocument(): Json {
  const base = parseYaml(fs.readFileSync(CHATWOOT_OPENAPI, 'utf8')) as Json;
  return applyOverlay(base, parseYaml(fs.readFileSync(CHATWOOT_OVERLAY, 'utf8')) as Json);
}

export interface MockedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** Prism's answer (or the scripted one) */
  status: number;
  /** what Prism found wrong with the request (its sl-violations header), if anything */
  violations?: unknown[];
  responseBody?: any;
  /** answered by the script, not by Prism */
  scripted: boolean;
}

export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * Chatwoot, as its API is described in this project: a Stoplight Prism mock of
 * chatwoot-api.openapi.yaml (+ overlay) with request validation on (--errors), started as its own
 * process, behind a small recording proxy. The proxy can answer some requests itself first
 * (Chatwoot down, 429), and picks a named response example for a request (`Prefer: example=`)
 * where a test needs another answer than the first example. Start one per test file.
 */
export async function startChatwootMock() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-chatwoot-mock-'));
  const document = path.join(dir, 'chatwoot-api.json');
  fs.writeFileSync(document, JSON.stringify(chatwootApiDocument()));
  const prismPort = await freePort();
  const cli = path.join(path.dirname(require.resolve('@stoplight/prism-cli/package.json')), 'dist/index.js');
  const prism = spawn(process.execPath, [cli, 'mock', document, '--host', '127.0.0.1', '--port', String(prismPort), '--errors'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // read all of it (a full pipe would stall Prism); the last part is kept for failure messages
  let output = '';
  let onOutput = () => undefined as void;
  const read = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    onOutput();
  };
  prism.stdout!.on('data', read);
  prism.stderr!.on('data', read);
  const exited = new Promise<void>((resolve) => prism.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Prism did not start within 60 s:\n${output}`)), 60_000);
      onOutput = () => {
        if (output.includes('Prism is listening')) { clearTimeout(timer); onOutput = () => undefined; resolve(); }
      };
      prism.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Prism exited (${code}) at start-up:\n${output}`)); });
    });
  } catch (err) {
    prism.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const requests: MockedRequest[] = [];
  const scripted: Array<ScriptedReply & { match?: (method: string, path: string) => boolean }> = [];
  let prefer: (method: string, path: string) => string | undefined = () => undefined;
  const waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];
  const record = (r: MockedRequest) => {
    requests.push(r);
    for (const w of [...waiters]) if (w.ready()) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  };

  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown = raw.toString();
      try { body = JSON.parse(raw.toString()); } catch { /* keep text */ }
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const index = scripted.findIndex((s) => !s.match || s.match(method, url));
      if (index >= 0) {
        const [reply] = scripted.splice(index, 1);
        record({ method, path: url, headers: req.headers, body, status: reply!.status, scripted: true });
        res.writeHead(reply!.status, { 'Content-Type': 'application/json', ...reply!.headers });
        res.end(reply!.body === undefined ? '' : JSON.stringify(reply!.body));
        return;
      }
      const example = prefer(method, url);
      const headers = { ...req.headers, host: `127.0.0.1:${prismPort}`, ...(example ? { prefer: `example=${example}` } : {}) };
      const upstream = http.request({ host: '127.0.0.1', port: prismPort, method, path: url, headers }, (answer) => {
        const out: Buffer[] = [];
        answer.on('data', (c: Buffer) => out.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(out).toString();
          let responseBody: unknown = text;
          try { responseBody = JSON.parse(text); } catch { /* keep text */ }
          const violationsHeader = answer.headers['sl-violations'];
          const violations = typeof violationsHeader === 'string' ? JSON.parse(violationsHeader) as unknown[] : undefined;
          const fromProblem = isObject(responseBody) && Array.isArray(responseBody.validation) ? responseBody.validation : undefined;
          record({ method, path: url, headers: req.headers, body, status: answer.statusCode ?? 0, violations: violations ?? fromProblem, responseBody, scripted: false });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(text);
        });
      });
      upstream.on('error', (err) => {
        record({ method, path: url, headers: req.headers, body, status: 502, scripted: true });
        res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: `mock proxy: ${err.message}` }));
      });
      upstream.end(raw);
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const api = (r: MockedRequest) => r.path.replace(/^\/api\/v1\/accounts\/\d+/, '').replace(/\?.*$/, '');
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** "POST /conversations/128/messages" etc., in order */
    calls: () => requests.map((r) => `${r.method} ${api(r)}`),
    /** requests Prism found against the description (these fail the tests that check) */
    violations: () => requests.filter((r) => !r.scripted && (r.status === 422 || r.violations?.length)),
    /** POSTed messages: {conversation, content, type, private} */
    messages: () => requests.filter((r) => r.method === 'POST' && /\/conversations\/\d+\/messages$/.test(api(r)) && r.status === 200)
      .map((r) => ({ conversation: Number(api(r).split('/')[2]), content: r.body.content as string, type: r.body.message_type as string, private: Boolean(r.body.private) })),
    /** the next matching requests get these answers instead of Prism's */
    enqueue(...replies: Array<ScriptedReply & { match?: (method: string, path: string) => boolean }>) { scripted.push(...replies); },
    /** which named response example Prism answers with (by default the first of each response) */
    preferExamples(choose: (method: string, apiPath: string) => string | undefined) {
      prefer = (method, url) => choose(method, url.replace(/^\/api\/v1\/accounts\/\d+/, '').replace(/\?.*$/, ''));
    },
    reset() {
      requests.length = 0;
      scripted.length = 0;
      prefer = () => undefined;
    },
    waitUntil(ready: (all: MockedRequest[]) => boolean): Promise<void> {
      if (ready(requests)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ ready: () => ready(requests), resolve }));
    },
    output: () => output,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      prism.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type ChatwootMock = Awaited<ReturnType<typeof startChatwootMock>>;
