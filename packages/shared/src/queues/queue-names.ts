/** Never rename a queue: jobs waiting under the old name would be stranded. */
export const QUEUE = {
  generate: 'reply-generate',
  send: 'reply-send',
  /** writes to Braze profiles (POST /users/track), batched, on a rate limit of their own */
  profile: 'profile-sync',
  /** events for live agents: fan-out per conversation, then one delivery per sink */
  agentEvents: 'agent-events',
  /** periodic housekeeping: idle handoffs given back to the bot */
  maintenance: 'maintenance',
  /** Chatwoot's webhooks (agent replies, "resolved"), stored as they arrive, acted on by the worker */
  chatwootInbound: 'chatwoot-inbound',
} as const;

export const JOB = {
  generate: 'generate-reply',
  send: 'send-reply',
  profile: 'sync-profile',
  agentEvent: 'agent-event',
  deliverEvent: 'deliver-event',
  releaseIdle: 'release-idle-handoffs',
  expireJobs: 'expire-finished-jobs',
  chatwootEvent: 'chatwoot-event',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];
export const ALL_QUEUES: QueueName[] = [QUEUE.generate, QUEUE.send, QUEUE.profile, QUEUE.agentEvents, QUEUE.maintenance, QUEUE.chatwootInbound];
