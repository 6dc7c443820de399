import path from 'node:path';
import request from 'supertest';
import { conversationIdFor, sendJobIdFor, type AgentEvent } from '@bridge/shared';
import { startPipeline, type Pipeline } from './pipeline';
import { brazeOk } from './stand-in-server';

export const AGENT_TOKEN = 'agent-api-token-0123456789abcdef';
export const ADMIN_TOKEN = 'admin-api-token-0123456789abcdef';
const CONVERSATION_FILE = path.resolve(__dirname, '../../examples/conversation.yaml');

/** A person whose every trace can be looked for: distinctive ids, phone, name and texts. */
export const PERSON = {
  userId: 'erase-me-ext-7781',
  brazeId: 'erase-me-braze-4412',
  phone: '+15557770123',
  name: 'Zelda Quux',
  texts: ['where is parcel zq-5531', 'please FAIL-ME zq-0042', 'customer to agent zq-8000'],
  agentText: 'agent says zq-7000',
  orderNumber: '99887766',
};
/** Someone else, whose data must stay. */
export const OTHER = { userId: 'keep-me-ext-1200', brazeId: 'keep-me-braze-5500', phone: '+15550001200', text: 'hello from the other one kp-3333' };

/** Everything of PERSON that must not be anywhere after an erasure. */
export const personNeedles = () => [
  PERSON.userId, PERSON.brazeId, PERSON.phone, PERSON.phone.slice(1), PERSON.name, ...PERSON.texts, PERSON.agentText, PERSON.orderNumber,
  conversationIdFor({ external_user_id: PERSON.userId }), conversationIdFor({ braze_id: PERSON.brazeId }),
];

/**
 * The bridge with every part that stores personal data switched on: the sample conversation file
 * (routes, a flow, handoff), live agents with the agent and admin APIs, profile sync, and an event
 * sink that keeps what it is given. Braze refuses (400, for good) any reply holding FAIL-ME.
 */
export async function startPersonalDataPipeline(env: Record<string, string> = {}, ingestEnv: Record<string, string> = {}) {
  const events: AgentEvent[] = [];
  const p = await startPipeline({ CONVERSATION_FILE, LIVE_AGENTS: 'true', BRAZE_SYNC_PROFILE: 'true', JOB_ATTEMPTS: '2', ...env }, {
    ingestEnv: { CONVERSATION_FILE, AGENT_API_TOKEN: AGENT_TOKEN, ADMIN_API_TOKEN: ADMIN_TOKEN, ...ingestEnv },
    sinks: [{ name: 'capture', deliver: async (e) => { events.push(e); } }],
  });
  p.braze.setScript((req, i) => (JSON.stringify(req.body).includes('FAIL-ME') ? { status: 400, body: { message: 'refused by the stand-in' } } : brazeOk(req, i)));
  return { p, events };
}

/** Waits until no queue but maintenance has a job to run. */
export async function settledQueues(p: Pipeline) {
  const queues = [p.worker.generateQueue, p.worker.sendQueue, p.worker.profileQueue, p.worker.eventsQueue];
  for (let i = 0; i < 400; i++) {
    const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
    if (counts.every((c) => Object.values(c).every((n) => n === 0))) return;
    // no single event says "every queue is idle": poll at a short interval
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the queues did not settle');
}

/** profile_name after the ids, as the webhook template has it */
const body = (fields: Record<string, unknown>) => ({ ...fields, phone_number: PERSON.phone, profile_name: PERSON.name });

/**
 * PERSON in every state the bridge keeps: a conversation by braze_id alone with a flow in progress
 * (a captured order number); one by external id (with the same braze_id) with an AI turn answered
 * (with a message_id: a dedupe key), a reply Braze refused (a failed job), a handoff with an agent's
 * message and a customer message to the agents (agent events), profile-sync jobs throughout. OTHER
 * writes too. Returns when every queue is idle.
 */
export async function storePersonInEveryState(p: Pipeline) {
  const byBraze = { user_id: undefined, braze_id: PERSON.brazeId };
  const byUser = { user_id: PERSON.userId, braze_id: PERSON.brazeId };
  await p.replied(body({ ...byBraze, message: 'RETURN' }));
  await p.replied(body({ ...byBraze, message: PERSON.orderNumber }));

  await p.replied(body({ ...byUser, message: PERSON.texts[0], message_id: 'wamid.erase-me-1' }));
  const refused = await p.post(body({ ...byUser, message: PERSON.texts[1] }));
  await expectFailure(p.finished('send', sendJobIdFor(refused)));
  await p.replied(body({ ...byUser, message: 'AGENT' }));
  const agent = await request(p.ingest.app).post('/agent/messages').set('Authorization', `Bearer ${AGENT_TOKEN}`).set('Content-Type', 'application/json')
    .send(JSON.stringify({ user_id: PERSON.userId, message: PERSON.agentText, agent_name: 'Maria' }));
  if (agent.status !== 202) throw new Error(`agent API answered ${agent.status}: ${JSON.stringify(agent.body)}`);
  await p.finished('send', agent.body.id);
  await p.finished('generate', await p.post(body({ ...byUser, message: PERSON.texts[2] })));

  await p.replied({ user_id: OTHER.userId, braze_id: OTHER.brazeId, phone_number: OTHER.phone, message: OTHER.text });
  await settledQueues(p);
}

async function expectFailure(finished: Promise<unknown>) {
  const outcome = await finished.then(() => 'completed', () => 'failed');
  if (outcome !== 'failed') throw new Error('the refused reply was expected to fail');
}
