import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface MediaSettings {
  maxBytes: number;
  timeoutMs: number;
  /** http:// and private, loopback and link-local targets too (tests, local stand-ins) */
  allowPrivate: boolean;
}

export type MediaKind = 'audio' | 'image' | 'video' | 'document' | 'other';

export type Fetched =
  | { ok: true; kind: MediaKind; contentType: string; filename: string; bytes?: Buffer }
  | { ok: false; kind: MediaKind; reason: string };

const EXTENSIONS: Record<string, [MediaKind, string]> = {
  ogg: ['audio', 'audio/ogg'], oga: ['audio', 'audio/ogg'], opus: ['audio', 'audio/ogg'], mp3: ['audio', 'audio/mpeg'], m4a: ['audio', 'audio/mp4'],
  aac: ['audio', 'audio/aac'], amr: ['audio', 'audio/amr'], wav: ['audio', 'audio/wav'], flac: ['audio', 'audio/flac'],
  jpg: ['image', 'image/jpeg'], jpeg: ['image', 'image/jpeg'], png: ['image', 'image/png'], webp: ['image', 'image/webp'], gif: ['image', 'image/gif'],
  mp4: ['video', 'video/mp4'], '3gp': ['video', 'video/3gpp'], mov: ['video', 'video/quicktime'],
  pdf: ['document', 'application/pdf'], doc: ['document', 'application/msword'], docx: ['document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  xls: ['document', 'application/vnd.ms-excel'], xlsx: ['document', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ppt: ['document', 'application/vnd.ms-powerpoint'], pptx: ['document', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  txt: ['document', 'text/plain'], csv: ['document', 'text/csv'],
};
const EXTENSION_OF: Record<string, string> = { 'audio/ogg': 'ogg', 'audio/opus': 'ogg', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/aac': 'aac', 'audio/amr': 'amr', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/webm': 'webm', 'audio/flac': 'flac' };
const MAX_REDIRECTS = 3;

const extensionOf = (url: URL) => /\.([a-z0-9]{2,5})$/i.exec(url.pathname)?.[1]?.toLowerCase();

/** What a URL's file extension says the media is (before or without a download). */
export function kindFromUrl(raw: string): MediaKind {
  try {
    return EXTENSIONS[extensionOf(new URL(raw)) ?? '']?.[0] ?? 'other';
  } catch {
    return 'other';
  }
}

function kindOf(contentType: string): MediaKind | undefined {
  const major = contentType.split('/')[0];
  if (major === 'audio' || major === 'image' || major === 'video') return major;
  if (/^(application\/(pdf|msword|vnd\.)|text\/)/.test(contentType)) return 'document';
  return undefined;
}

/** Only public unicast addresses (ipaddr.js ranges), unless private ones are allowed. */
function addressAllowed(address: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return true;
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
}

class Refused extends Error {}

/**
 * The address to connect to: the host resolved once, every address checked, and the connection
 * pinned to a checked one, so a second DNS answer (rebinding) cannot send it elsewhere.
 */
async function checkedAddress(url: URL, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = ipaddr.isValid(host) ? [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }] : await dnsLookup(host, { all: true, verbatim: true }).catch(() => {
    throw new Refused('unresolvable');
  });
  if (addresses.length === 0) throw new Refused('unresolvable');
  if (!addresses.every((a) => addressAllowed(a.address, allowPrivate))) throw new Refused('private_address');
  return addresses[0]!;
}

interface Response { status: number; headers: http.IncomingHttpHeaders; body: http.IncomingMessage }

function request(url: URL, pinned: { address: string; family: number }, signal: AbortSignal): Promise<Response> {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: 'GET', agent: false, lookup, signal, headers: { Accept: '*/*' } }, (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }));
    req.on('error', reject);
    req.end();
  });
}

function readCapped(body: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        body.destroy();
        reject(new Refused('too_large'));
        return;
      }
      chunks.push(chunk);
    });
    body.on('end', () => resolve(Buffer.concat(chunks)));
    body.on('error', reject);
  });
}

/**
 * Downloads the customer's media for the AI, guarded: https only, public addresses only (after DNS
 * resolution, connecting to the address checked), at most `maxBytes` (streamed), within
 * `timeoutMs`, at most 3 redirects (each checked again). The body is read only for kinds that
 * `wantBody` asks for; for the rest the headers tell the kind. Never throws: a failure is a reason.
 */
export function createMediaFetcher(settings: MediaSettings) {
  const protocols = settings.allowPrivate ? ['https:', 'http:'] : ['https:'];
  return async function fetchMedia(raw: string, wantBody: (kind: MediaKind) => boolean): Promise<Fetched> {
    const guess = kindFromUrl(raw);
    const signal = AbortSignal.timeout(settings.timeoutMs);
    try {
      let url = new URL(raw);
      for (let hop = 0; ; hop++) {
        if (!protocols.includes(url.protocol)) throw new Refused(url.protocol === 'http:' ? 'not_https' : 'bad_url');
        const res = await request(url, await checkedAddress(url, settings.allowPrivate), signal);
        if (res.status >= 300 && res.status < 400 && res.headers.location && hop < MAX_REDIRECTS) {
          res.body.destroy();
          url = new URL(res.headers.location, url);
          continue;
        }
        if (res.status < 200 || res.status >= 300) {
          res.body.destroy();
          throw new Refused(`http_${res.status}`);
        }
        const declared = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const byExtension = EXTENSIONS[extensionOf(url) ?? ''];
        const kind = kindOf(declared) ?? byExtension?.[0] ?? 'other';
        const contentType = kindOf(declared) ? declared : byExtension?.[1] ?? (declared || 'application/octet-stream');
        const ext = extensionOf(url) ?? EXTENSION_OF[contentType] ?? 'bin';
        const filename = /\.[a-z0-9]{2,5}$/i.test(url.pathname) ? url.pathname.split('/').pop()! : `media.${ext}`;
        if (!wantBody(kind)) {
          res.body.destroy();
          return { ok: true, kind, contentType, filename };
        }
        if (Number(res.headers['content-length'] ?? 0) > settings.maxBytes) {
          res.body.destroy();
          throw new Refused('too_large');
        }
        return { ok: true, kind, contentType, filename, bytes: await readCapped(res.body, settings.maxBytes) };
      }
    } catch (err) {
      if (err instanceof Refused) return { ok: false, kind: guess, reason: err.message };
      if (signal.aborted) return { ok: false, kind: guess, reason: 'timeout' };
      if (err instanceof TypeError) return { ok: false, kind: guess, reason: 'bad_url' };
      return { ok: false, kind: guess, reason: 'unreachable' };
    }
  };
}
export type MediaFetcher = ReturnType<typeof createMediaFetcher>;
