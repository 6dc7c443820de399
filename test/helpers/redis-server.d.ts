import type { ChildProcess } from 'node:child_process';

export interface RedisServerOptions {
  port?: number;
  /** default a new temp dir that stop() removes; a dir passed in is the caller's to remove */
  dir?: string;
  appendonly?: boolean;
  appendfsync?: 'always' | 'everysec' | 'no';
  password?: string;
  tls?: boolean;
  cluster?: boolean;
}

export interface RedisServer {
  url: string;
  /** the CA that signed the server certificate, with `tls: true` */
  caFile: string | undefined;
  port: number;
  dir: string;
  pid: number | undefined;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startRedisServer(options?: RedisServerOptions): Promise<RedisServer>;
export function startRedisCluster(): Promise<{ url: string; nodes: RedisServer[]; stop(signal?: NodeJS.Signals): Promise<void[]> }>;
export function hasRedisServer(): boolean;
export function freePort(): Promise<number>;
