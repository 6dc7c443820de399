import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';

/** An axios instance with keep-alive, a per-request timeout and no automatic retries. */
export function createHttpClient(baseURL: string, timeoutMs: number, headers: Record<string, string>): AxiosInstance {
  return axios.create({
    baseURL,
    timeout: timeoutMs,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
    maxRedirects: 0,
    transitional: { clarifyTimeoutError: true },
  });
}
