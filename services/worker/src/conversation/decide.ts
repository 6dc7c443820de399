import type { AiToolName, ConversationFile, ConversationState, FlowPosition, ReplyKind, ReplyPart, Route } from '@bridge/shared';
import { answerFlow, flowTimedOut, startFlow, type FlowRun } from './flow';
import type { RouteMatcher } from './match';
import { render } from './render';

/** What a turn's message leads to, in order. The turn processor carries them out. */
export type Effect =
  | { type: 'send'; part: ReplyPart; kind: ReplyKind }
  /** ask the AI; its answer is sent at this place */
  | { type: 'ai'; route?: string; systemPrompt?: string; model?: string; campaignId?: string; tools?: AiToolName[] }
  /** a person takes over; the customer is told `text` */
  | { type: 'handoff'; reason: string; text: string }
  /** a person owns the conversation: the message is theirs to see */
  | { type: 'to_agents'; optOut: boolean }
  | { type: 'fail'; code: string; message: string };

export interface Decision {
  effects: Effect[];
  /** the route taken, if any */
  route?: string;
  /** null: the flow ended */
  flow?: FlowPosition | null;
  vars?: Record<string, string>;
  /** written to the Braze profile (set_attributes of flow steps) */
  attributes: Record<string, unknown>;
  /** flows that reached their end this turn */
  completedFlows: string[];
  /** why nothing is sent: an opt-out word, or an `ignore` route */
  silent?: 'opt_out' | 'ignore';
}

export interface DecideSettings {
  file: ConversationFile;
  isSilent: (text: string) => boolean;
  matchRoute: RouteMatcher;
  handoffText: string;
  /** how long after the last inbound message a reply may still go out (24 h minus the margin) */
  windowMs: number;
  /** an approved template campaign for replies past the window */
  templateCampaignId?: string;
}

export interface TurnInput {
  text: string;
  receivedAt: number;
  /** the route named by the webhook's path */
  route?: string;
  state: ConversationState;
  now: number;
}

const empty = (): Decision => ({ effects: [], attributes: {}, completedFlows: [] });

/**
 * The conversation engine's one decision: message + conversation state + conversation file + now ->
 * what to send (to which campaign), what to store, which attributes to write. No I/O.
 *
 * Order of precedence: opt-out words (never answered, never advance a flow); a person's ownership;
 * the 24-hour window; a running flow (only handoff and flow routes interrupt it); the route named by
 * the webhook path or the first matching route; the AI.
 */
export function decide(s: DecideSettings, input: TurnInput): Decision {
  const { state, now } = input;
  if (s.isSilent(input.text)) {
    return state.owner === 'agent' ? { ...empty(), effects: [{ type: 'to_agents', optOut: true }], silent: 'opt_out' } : { ...empty(), silent: 'opt_out' };
  }
  if (state.owner === 'agent') return { ...empty(), effects: [{ type: 'to_agents', optOut: false }] };

  const lastInbound = Math.max(state.lastInboundAt ?? 0, input.receivedAt);
  if (!s.templateCampaignId && now >= lastInbound + s.windowMs) {
    return { ...empty(), effects: [{ type: 'fail', code: 'OUTSIDE_WHATSAPP_WINDOW', message: `last inbound ${new Date(lastInbound).toISOString()}` }] };
  }

  const route = input.route ? s.file.routes.find((r) => r.name.toLowerCase() === input.route!.toLowerCase()) : s.matchRoute(input.text);
  const decision = empty();
  let vars = state.vars;

  if (state.flow) {
    if (flowTimedOut(s.file, state.flow, now)) {
      decision.flow = null;
      const text = s.file.flows[state.flow.name]?.timeout_text;
      if (text) decision.effects.push({ type: 'send', part: { text: render(text, vars) }, kind: 'flow' });
    } else if (route?.action !== 'handoff' && route?.action !== 'flow') {
      const run = answerFlow(s.file, state.flow, input.text, vars, now);
      if (run.parts.length || run.position || run.handoff || run.completed) return applyRun(decision, s, state.flow.name, run);
      decision.flow = null; // the flow could not take the message (the file changed): routes and AI get it
    }
  }

  if (route) {
    decision.route = route.name;
    return applyRoute(decision, s, route, vars, now);
  }
  decision.effects.push({ type: 'ai' });
  return decision;
}

function applyRoute(d: Decision, s: DecideSettings, route: Route, vars: Record<string, string>, now: number): Decision {
  switch (route.action) {
    case 'reply':
      d.effects.push({ type: 'send', kind: 'fixed', part: { text: render(route.text, vars), ...(route.campaign_id ? { campaignId: route.campaign_id } : {}), ...(route.properties ? { properties: route.properties } : {}) } });
      return d;
    case 'ai':
      d.effects.push({ type: 'ai', route: route.name, systemPrompt: route.system_prompt, model: route.model, campaignId: route.campaign_id, tools: route.tools });
      return d;
    case 'handoff':
      d.flow = null;
      d.effects.push({ type: 'handoff', reason: route.reason ?? route.name, text: route.text ? render(route.text, vars) : s.handoffText });
      return d;
    case 'ignore':
      d.silent = 'ignore';
      return d;
    case 'flow':
      return applyRun(d, s, route.flow, startFlow(s.file, route.flow, vars, now));
  }
}

function applyRun(d: Decision, s: DecideSettings, name: string, run: FlowRun): Decision {
  for (const part of run.parts) d.effects.push({ type: 'send', part, kind: 'flow' });
  d.flow = run.position ?? null;
  d.vars = run.vars;
  Object.assign(d.attributes, run.attributes);
  if (run.completed) d.completedFlows.push(name);
  if (run.handoff) d.effects.push({ type: 'handoff', reason: run.handoff.reason, text: run.handoff.text ?? s.handoffText });
  return d;
}

/**
 * What the AI's tool calls add after its text: the first steps of the flow it started (start_flow),
 * the handoff it asked for (handoff_to_agent). Updates the decision's flow, variables and attributes.
 */
export function afterAiTools(s: DecideSettings, d: Decision, tools: { flow?: string; handoff?: { reason: string } }, vars: Record<string, string>, now: number): Effect[] {
  const run = tools.flow && s.file.flows[tools.flow] ? applyRun(empty(), s, tools.flow, startFlow(s.file, tools.flow, vars, now)) : undefined;
  if (run) {
    d.flow = run.flow;
    d.vars = run.vars;
    Object.assign(d.attributes, run.attributes);
    d.completedFlows.push(...run.completedFlows);
  }
  const effects = run?.effects ?? [];
  if (tools.handoff && !effects.some((e) => e.type === 'handoff')) {
    if (!run) d.flow = null;
    effects.push({ type: 'handoff', reason: tools.handoff.reason, text: s.handoffText });
  }
  return effects;
}

/** Whether the decision is to let the AI answer, and nothing else (a message a burst may take in). */
export function aiOnly(d: Decision): Extract<Effect, { type: 'ai' }> | undefined {
  const [only, ...rest] = d.effects;
  return only?.type === 'ai' && rest.length === 0 && d.flow === undefined ? only : undefined;
}

/** What the profile's bridge_state says after a turn. */
export function bridgeState(owner: 'bot' | 'agent', flow: FlowPosition | null | undefined): string {
  if (owner === 'agent') return 'agent';
  return flow ? `flow:${flow.name}` : 'bot';
}
