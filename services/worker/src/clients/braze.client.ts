import { UpstreamError, classifyHttpError, readBrazeRateLimit, type ProfileUpdate, type RateLimitPool, type Recipient, type ResponseHeaders } from '@bridge/shared';
import type { WorkerConfig } from '../config';
import { createHttpClient } from './http-agent';

export interface BrazeObservation {
  endpoint: 'trigger' | 'track';
  status: string;
  seconds: number;
  /** recipients (trigger) or profile objects (track) carried */
  items: number;
  /** X-RateLimit-Remaining / X-RateLimit-Reset of the workspace's REST pool, when sent */
  rateLimit?: RateLimitPool;
}

export interface ReplyItem {
  recipient: Recipient;
  reply: string;
  campaignId: string;
  /** trigger properties besides the reply text */
  properties?: Record<string, unknown>;
}

export interface ProfileItem {
  recipient: Recipient;
  profile: ProfileUpdate;
}

interface BrazeAnswer {
  message?: unknown;
  notice?: unknown;
  errors?: unknown;
  dispatch_id?: unknown;
}

/** The /users/track object identity of a recipient. */
function trackIdentity(recipient: Recipient): Record<string, unknown> {
  if ('external_user_id' in recipient) return { external_id: recipient.external_user_id };
  return 'braze_id' in recipient ? { braze_id: recipient.braze_id } : { user_alias: recipient.user_alias };
}

/** Profile objects one item takes in a /users/track request (Braze counts attributes and events together). */
export const profileObjects = (item: ProfileItem) => (Object.keys(item.profile.attributes).length ? 1 : 0) + item.profile.events.length;

/**
 * POST /campaigns/trigger/send for up to 50 recipients of one API-triggered campaign, each with its
 * own trigger_properties; POST /users/track for profile attributes and events.
 */
export function createBrazeClient(config: WorkerConfig['braze'], observe: (o: BrazeObservation) => void = () => undefined, clock: () => number = Date.now) {
  const http = createHttpClient(config.endpoint, config.timeoutMs, { Authorization: `Bearer ${config.apiKey}` });

  async function post(endpoint: BrazeObservation['endpoint'], path: string, body: unknown, items: number): Promise<BrazeAnswer> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const res = await http.post<BrazeAnswer>(path, body);
      observe({ endpoint, status: String(res.status), seconds: seconds(), items, rateLimit: readBrazeRateLimit(res.headers) });
      return res.data && typeof res.data === 'object' ? res.data : {};
    } catch (err) {
      const e = classifyHttpError(err, 'braze');
      const headers = (err as { response?: { headers?: ResponseHeaders } }).response?.headers;
      observe({ endpoint, status: e.status ? String(e.status) : e.code, seconds: seconds(), items, rateLimit: readBrazeRateLimit(headers) });
      throw e;
    }
  }

  return {
    async send(campaignId: string, items: ReplyItem[]): Promise<{ dispatchId?: string; warnings?: unknown }> {
      const body = await post('trigger', '/campaigns/trigger/send', {
        campaign_id: campaignId,
        recipients: items.map(({ recipient, reply, properties }) => ({ ...recipient, trigger_properties: { ...properties, [config.triggerProperty]: reply } })),
      }, items.length);
      // 2xx without "success", or with a notice (paused/archived), means Braze sent nothing
      if (body.message !== 'success' || body.notice) {
        const why = typeof body.notice === 'string' ? body.notice : typeof body.message === 'string' ? body.message : 'no "success" in the answer';
        throw new UpstreamError('braze', 'BRAZE_NOT_SENT', `Braze accepted the request but sent nothing: ${why.slice(0, 200)}`, { retryable: false });
      }
      return {
        dispatchId: typeof body.dispatch_id === 'string' ? body.dispatch_id : undefined,
        warnings: Array.isArray(body.errors) && body.errors.length > 0 ? body.errors : undefined,
      };
    },

    async track(items: ProfileItem[]): Promise<{ warnings?: unknown }> {
      const now = new Date(clock()).toISOString();
      const attributes = items.filter((i) => Object.keys(i.profile.attributes).length).map((i) => ({ ...trackIdentity(i.recipient), ...i.profile.attributes }));
      const events = items.flatMap((i) => i.profile.events.map((e) => ({ ...trackIdentity(i.recipient), name: e.name, time: e.time ?? now, ...(e.properties ? { properties: e.properties } : {}) })));
      let body: BrazeAnswer;
      try {
        body = await post('track', '/users/track', { attributes, events }, attributes.length + events.length);
      } catch (err) {
        if (err instanceof UpstreamError && (err.status === 401 || err.status === 403)) {
          throw new UpstreamError('braze', 'BRAZE_PERMISSION', `Braze refused /users/track (HTTP ${err.status}): check BRAZE_API_KEY and that it has the users.track permission, which BRAZE_SYNC_PROFILE=true needs`, { retryable: false, status: err.status, cause: err });
        }
        throw err;
      }
      if (body.message !== 'success') {
        throw new UpstreamError('braze', 'BRAZE_NOT_TRACKED', `Braze did not take the profile update: ${String(body.message ?? 'no "success" in the answer').slice(0, 200)}`, { retryable: false });
      }
      return { warnings: Array.isArray(body.errors) && body.errors.length > 0 ? body.errors : undefined };
    },
  };
}
export type BrazeClient = ReturnType<typeof createBrazeClient>;
