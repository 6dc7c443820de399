import path from 'node:path';
import { loadConversationFile, type ConversationState, type FlowPosition } from '@bridge/shared';
import { bridgeState, decide, type Decision, type DecideSettings } from './decide';
import { DEFAULT_SILENT_KEYWORDS, keywordSet, routeMatcher } from './match';

const file = loadConversationFile(path.join(__dirname, '../../../../examples/conversation.yaml'));
const HOUR = 3_600_000;
const NOW = 100 * HOUR;
const settings: DecideSettings = {
  file,
  isSilent: keywordSet(DEFAULT_SILENT_KEYWORDS.split(',')),
  matchRoute: routeMatcher(file.routes),
  handoffText: 'A person will answer you here shortly.',
  windowMs: 24 * HOUR - 30 * 60_000,
};
const bot = (extra: Partial<ConversationState> = {}): ConversationState => ({ owner: 'bot', epoch: 0, unanswered: 0, vars: {}, lastInboundAt: NOW, ...extra });
const at = (step: string, extra: Partial<FlowPosition> = {}): FlowPosition => ({ name: 'returns', step, retries: 0, at: NOW - 60_000, ...extra });

function run(text: string, state: ConversationState = bot(), extra: { route?: string; receivedAt?: number; limited?: boolean; settings?: Partial<DecideSettings> } = {}): Decision {
  return decide({ ...settings, ...extra.settings }, { text, receivedAt: extra.receivedAt ?? NOW, route: extra.route, state, now: NOW, limited: extra.limited });
}
/** what goes out, as "kind:text" */
const sent = (d: Decision) => d.effects.map((e) => (e.type === 'send' ? `${e.kind}:${e.part.text}` : e.type === 'handoff' ? `handoff:${e.text}` : e.type));

describe('decide: what a message leads to', () => {
  test.each([
    ['an opt-out word', 'STOP', bot(), [], { silent: 'opt_out' }],
    ['an opt-out word in Portuguese with punctuation', ' parar! ', bot(), [], { silent: 'opt_out' }],
    ['an opt-out word that is also a route keyword elsewhere', 'CANCELAR', bot(), [], { silent: 'opt_out' }],
    ['a keyword route with a fixed reply', 'hours', bot(), ['fixed:We are open 9-18, Monday to Friday.'], { route: 'hours' }],
    ['a keyword with an accent missing', 'HORARIO', bot(), ['fixed:We are open 9-18, Monday to Friday.'], { route: 'hours' }],
    ['a regex route for the AI', 'Where is my ORDER?', bot(), ['ai'], { route: 'orders' }],
    ['a handoff keyword', 'Humano', bot(), ['handoff:A person will answer you here shortly.'], { route: 'human' }],
    ['an ignore route', 'obrigado!', bot(), [], { route: 'quiet', silent: 'ignore' }],
    ['no route', 'hello there', bot(), ['ai'], {}],
    ['a flow keyword', 'return', bot(), ['flow:What is your order number?'], { route: 'returns', flow: at('ask_order', { at: NOW }) }],
  ])('when the message is %s (%j), then %j goes out', (_case, text, state, expected, more) => {
    const d = run(text, state);
    expect(sent(d)).toEqual(expected);
    expect(d).toMatchObject(more);
  });

  test('when an ai route matches, then the AI gets its prompt, model and campaign', () => {
    expect(run('my order?').effects).toEqual([{ type: 'ai', route: 'orders', systemPrompt: 'You track orders for ACME. Ask for the order number if you do not have it.', model: undefined, campaignId: undefined, tools: undefined }]);
  });

  test('when the webhook path names a route, then that route runs whatever the text says', () => {
    expect(sent(run('anything at all', bot(), { route: 'HOURS' }))).toEqual(['fixed:We are open 9-18, Monday to Friday.']);
  });

  test('when the webhook path names a route and the text is an opt-out word, then the opt-out wins', () => {
    expect(run('STOP', bot(), { route: 'hours' })).toMatchObject({ effects: [], silent: 'opt_out' });
  });
});

describe('decide: who owns the conversation', () => {
  test('when a person owns it, then the message goes to them and nothing is sent', () => {
    expect(run('hours', bot({ owner: 'agent', epoch: 1 })).effects).toEqual([{ type: 'to_agents', optOut: false }]);
  });

  test('when a person owns it and the customer writes an opt-out word, then the agents hear it, flagged, and nothing is sent', () => {
    expect(run('STOP', bot({ owner: 'agent', epoch: 1 }))).toMatchObject({ effects: [{ type: 'to_agents', optOut: true }], silent: 'opt_out' });
  });
});

describe('decide: a message over the sender limit', () => {
  const LIMIT_TEXT = 'Please slow down.';
  const WINDOW = NOW / 60_000;
  const limited = (text: string, state: ConversationState, over: Partial<DecideSettings> = { limitText: LIMIT_TEXT }) => run(text, state, { limited: true, settings: over });

  test.each([
    ['the first of its minute, bot-owned', 'hello there', bot(), ['fixed:Please slow down.'], { limited: true, limitTold: WINDOW }],
    ['a later one of the same minute', 'hello there', bot({ limitToldWindow: WINDOW }), [], { limited: true, silent: 'limited' }],
    ['the first of the next minute', 'hello there', bot({ limitToldWindow: WINDOW - 1 }), ['fixed:Please slow down.'], { limitTold: WINDOW }],
    ['a route keyword (no fixed reply)', 'hours', bot(), ['fixed:Please slow down.'], { limited: true }],
    ['a handoff keyword (no handoff)', 'Humano', bot(), ['fixed:Please slow down.'], { limited: true }],
    ['an answer to a running flow', '12345', bot({ flow: at('ask_order') }), ['fixed:Please slow down.'], { limited: true }],
    ['an opt-out word (opt-out wins)', 'STOP', bot(), [], { silent: 'opt_out' }],
  ])('when it is %s (%j), then %j goes out, never the AI', (_case, text, state, expected, more) => {
    const d = limited(text, state);
    expect(sent(d)).toEqual(expected);
    expect(d).toMatchObject(more);
  });

  test('when it answers a running flow, then the flow neither moves nor captures anything', () => {
    const d = limited('12345', bot({ flow: at('ask_order') }));
    expect(d).not.toHaveProperty('flow');
    expect(d).not.toHaveProperty('vars');
    expect(d.completedFlows).toEqual([]);
  });

  test('when a person owns the conversation, then the agents see the message, flagged, and nothing is sent', () => {
    expect(limited('hello', bot({ owner: 'agent', epoch: 1 }))).toMatchObject({ effects: [{ type: 'to_agents', optOut: false, limited: true }], limited: true });
  });

  test('when SENDER_RATE_LIMIT_TEXT is empty, then a limited sender is told nothing', () => {
    const d = limited('hello', bot(), { limitText: undefined });
    expect(d).toMatchObject({ effects: [], silent: 'limited' });
    expect(d).not.toHaveProperty('limitTold');
  });

  test('when a limited message waited past the 24-hour window, then it fails like any other (no limit text through the template)', () => {
    const old = NOW - 24 * HOUR;
    expect(sent(run('hello', bot({ lastInboundAt: old }), { receivedAt: old, limited: true, settings: { limitText: LIMIT_TEXT } }))).toEqual(['fail']);
  });
});

describe('decide: the 24-hour window', () => {
  test('when the message waited past the window and there is no template campaign, then it fails before any AI call', () => {
    const old = NOW - 24 * HOUR;
    const d = run('hello', bot({ lastInboundAt: old }), { receivedAt: old });
    expect(d.effects).toEqual([{ type: 'fail', code: 'OUTSIDE_WHATSAPP_WINDOW', message: `last inbound ${new Date(old).toISOString()}` }]);
  });

  test('when the message waited past the margin only, then it fails too (the margin is part of the window)', () => {
    const old = NOW - 23.75 * HOUR;
    expect(sent(run('hello', bot({ lastInboundAt: old }), { receivedAt: old }))).toEqual(['fail']);
  });

  test('when a later message reopened the window, then an old one is answered', () => {
    expect(sent(run('hello', bot({ lastInboundAt: NOW - HOUR }), { receivedAt: NOW - 24 * HOUR }))).toEqual(['ai']);
  });

  test('when a template campaign is set, then a reply past the window is still decided (it goes through the template)', () => {
    const old = NOW - 30 * HOUR;
    expect(sent(run('hello', bot({ lastInboundAt: old }), { receivedAt: old, settings: { templateCampaignId: 'tpl' } }))).toEqual(['ai']);
  });
});

describe('decide: a running flow', () => {
  test.each([
    ['a valid order number', '1234567', at('ask_order'), ['flow:Why are you returning it?'], { step: 'reason', retries: 0 }, { order_id: '1234567' }],
    ['a bad order number', '12ab', at('ask_order'), ['flow:An order number has 6 to 10 digits. What is yours?'], { step: 'ask_order', retries: 1 }, undefined],
    ['a second bad order number', 'abc', at('ask_order', { retries: 1 }), ['flow:An order number has 6 to 10 digits. What is yours?'], { step: 'ask_order', retries: 2 }, undefined],
    ['a keyword of another route (the flow takes it as the answer)', 'hours', at('ask_order'), ['flow:An order number has 6 to 10 digits. What is yours?'], { step: 'ask_order', retries: 1 }, undefined],
    ['a choice by its label', 'damaged', at('reason'), ['flow:Thanks! Return for order 555666 (Damaged) is registered.'], null, { order_id: '555666', reason: 'Damaged' }],
    ['a choice by its number', '3', at('reason'), ['flow:Tell us in a few words what happened.'], { step: 'details', retries: 0 }, { order_id: '555666', reason: 'Other' }],
    ['a free answer after "Other"', 'It arrived late', at('details'), ['flow:Thanks! Return for order 555666 (Other) is registered.'], null, { order_id: '555666', reason: 'Other', details: 'It arrived late' }],
  ])('when the flow waits and the customer sends %s, then it goes on', (_case, text, position, expected, flow, vars) => {
    const state = bot({ flow: position, vars: position.step === 'ask_order' ? {} : position.step === 'details' ? { order_id: '555666', reason: 'Other' } : { order_id: '555666' } });
    const d = run(text, state);
    expect(sent(d)).toEqual(expected);
    if (flow === null) expect(d.flow).toBeNull();
    else expect(d.flow).toMatchObject(flow);
    if (vars) expect(d.vars).toEqual(vars);
  });

  test('when the flow reaches its end, then its attributes are rendered and the flow is counted as completed', () => {
    const d = run('Damaged', bot({ flow: at('reason'), vars: { order_id: '555666' } }));
    expect(d.attributes).toEqual({ last_return_order: '555666', returns_requested: { inc: 1 } });
    expect(d.completedFlows).toEqual(['returns']);
  });

  test('when the retries run out and on_fail is handoff, then the conversation goes to a person', () => {
    const d = run('still wrong', bot({ flow: at('ask_order', { retries: 2 }) }));
    expect(d.effects).toEqual([{ type: 'handoff', reason: 'returns:ask_order:no_valid_answer', text: settings.handoffText }]);
    expect(d.flow).toBeNull();
  });

  test('when the customer asks for a person during a flow, then the handoff route interrupts it', () => {
    expect(sent(run('AGENT', bot({ flow: at('ask_order') })))).toEqual(['handoff:A person will answer you here shortly.']);
  });

  test('when the customer writes the flow keyword again, then the flow starts over', () => {
    const d = run('RETURN', bot({ flow: at('reason'), vars: { order_id: '1' } }));
    expect(sent(d)).toEqual(['flow:What is your order number?']);
    expect(d.flow).toMatchObject({ step: 'ask_order', retries: 0 });
  });

  test('when the flow waits and an opt-out word arrives, then nothing is sent and the flow does not move', () => {
    const d = run('STOP', bot({ flow: at('ask_order') }));
    expect(d.effects).toEqual([]);
    expect(d.flow).toBeUndefined();
  });

  test('when the flow was idle past its timeout, then the timeout text goes out and the message goes to the routes and the AI', () => {
    const d = run('hello', bot({ flow: at('ask_order', { at: NOW - 31 * 60_000 }) }));
    expect(sent(d)).toEqual(['flow:Your return was not finished. Write RETURN to start again.', 'ai']);
    expect(d.flow).toBeNull();
  });

  test('when the flow was idle past its timeout and the message is a route keyword, then that route answers after the timeout text', () => {
    expect(sent(run('hours', bot({ flow: at('ask_order', { at: NOW - 2 * HOUR }) })))).toEqual(['flow:Your return was not finished. Write RETURN to start again.', 'fixed:We are open 9-18, Monday to Friday.']);
  });

  test('when the file no longer has the flow, then it ends and the message goes on to the AI', () => {
    const d = run('hello', bot({ flow: { name: 'removed', step: 'x', retries: 0, at: NOW } }));
    expect(sent(d)).toEqual(['ai']);
    expect(d.flow).toBeNull();
  });
});

describe('bridgeState', () => {
  test.each([
    ['bot', undefined, 'bot'],
    ['bot', null, 'bot'],
    ['bot', at('reason'), 'flow:returns'],
    ['agent', at('reason'), 'agent'],
  ] as const)('when the owner is %s and the flow %j, then the profile says %s', (owner, flow, expected) => {
    expect(bridgeState(owner, flow)).toBe(expected);
  });
});
