/** Never rename a queue: jobs waiting under the old name would be stranded. */
export const QUEUE = {
  generate: 'reply-generate',
  send: 'reply-send',
} as const;

export const JOB = {
  generate: 'generate-reply',
  send: 'send-reply',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];
export const ALL_QUEUES: QueueName[] = [QUEUE.generate, QUEUE.send];
