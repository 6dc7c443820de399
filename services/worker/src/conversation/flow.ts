import type { Condition, ConversationFile, Flow, FlowPosition, ReplyPart, Step } from '@bridge/shared';
import { normalizeKeyword } from './match';
import { render, renderValues } from './render';

/** What one turn of a flow produced. */
export interface FlowRun {
  parts: ReplyPart[];
  /** where the flow waits now; undefined when it ended */
  position?: FlowPosition;
  vars: Record<string, string>;
  attributes: Record<string, unknown>;
  /** the flow reached its end (not a handoff, not a failure) */
  completed: boolean;
  handoff?: { reason: string; text?: string };
}

/** A flow that says and jumps without ever asking would spin; no sane flow takes this many steps in one turn. */
const MAX_STEPS_PER_TURN = 50;

export function conditionHolds(c: Condition, vars: Record<string, string>): boolean {
  const value = vars[c.var];
  if (c.is_set !== undefined) return c.is_set === (value !== undefined && value !== '');
  const v = normalizeKeyword(value ?? '');
  if (c.equals !== undefined) return v === normalizeKeyword(c.equals);
  if (c.not_equals !== undefined) return v !== normalizeKeyword(c.not_equals);
  if (c.contains !== undefined) return v.includes(normalizeKeyword(c.contains));
  return new RegExp(c.matches!, c.flags ?? '').test(value ?? '');
}

/** The step after `step` (its switch, goto, end, or the one below); null is the end of the flow. */
function nextStep(flow: Flow, index: number, vars: Record<string, string>): string | null {
  const step = flow.steps[index]!;
  if (step.end) return null;
  if (step.goto) return step.goto;
  for (const c of step.switch ?? []) {
    if ('else' in c) return c.else;
    if (conditionHolds(c.if, vars)) return c.goto;
  }
  return flow.steps[index + 1]?.id ?? null;
}

function partOf(step: Step, flow: Flow, text: string, vars: Record<string, string>, withChoices: boolean): ReplyPart {
  const properties: Record<string, unknown> = { ...renderValues(step.properties ?? {}, vars) };
  if (withChoices) step.choices?.forEach((choice, i) => { properties[`choice_${i + 1}`] = choice; });
  const campaignId = step.campaign_id ?? flow.campaign_id;
  return { text: render(text, vars), ...(campaignId ? { campaignId } : {}), ...(Object.keys(properties).length ? { properties } : {}) };
}

/** Runs the flow from step `from` until it asks something, hands off or ends. */
function run(name: string, flow: Flow, from: string | null, base: Omit<FlowRun, 'completed' | 'position'>, now: number): FlowRun {
  const out: FlowRun = { ...base, parts: [...base.parts], attributes: { ...base.attributes }, completed: false };
  let id = from;
  for (let n = 0; id !== null; n++) {
    const index = flow.steps.findIndex((s) => s.id === id);
    if (index < 0 || n >= MAX_STEPS_PER_TURN) return out;
    const step = flow.steps[index]!;
    if (step.set_attributes) Object.assign(out.attributes, renderValues(step.set_attributes, out.vars));
    if (step.ask !== undefined) {
      out.parts.push(partOf(step, flow, step.ask, out.vars, true));
      out.position = { name, step: step.id, retries: 0, at: now };
      return out;
    }
    if (step.say !== undefined) out.parts.push(partOf(step, flow, step.say, out.vars, false));
    if (step.handoff !== undefined) {
      const h = step.handoff === true ? {} : step.handoff;
      out.handoff = { reason: h.reason ?? `${name}:${step.id}`, text: h.text && render(h.text, out.vars) };
      return out;
    }
    id = nextStep(flow, index, out.vars);
  }
  out.completed = true;
  return out;
}

export function startFlow(file: ConversationFile, name: string, vars: Record<string, string>, now: number): FlowRun {
  const flow = file.flows[name]!;
  return run(name, flow, flow.steps[0]!.id, { parts: [], vars: { ...vars }, attributes: {} }, now);
}

/** The value an answer gives the step's variable, or undefined when it does not fit. */
export function capture(step: Step, text: string): string | undefined {
  const answer = text.trim();
  if (!answer) return undefined;
  if (step.choices) {
    const byNumber = /^\d+$/.test(answer) ? step.choices[Number(answer) - 1] : undefined;
    return byNumber ?? step.choices.find((c) => normalizeKeyword(c) === normalizeKeyword(answer));
  }
  const pattern = step.capture?.regex;
  if (!pattern) return answer;
  const m = new RegExp(pattern, step.capture?.flags ?? '').exec(answer);
  return m ? (m[1] ?? m[0]) : undefined;
}

/** The customer answered the step the flow waits on. */
export function answerFlow(file: ConversationFile, position: FlowPosition, text: string, vars: Record<string, string>, now: number): FlowRun {
  const flow = file.flows[position.name];
  const index = flow ? flow.steps.findIndex((s) => s.id === position.step) : -1;
  // the file changed under a running flow: end it, and the message goes on to the routes and the AI
  if (!flow || index < 0 || flow.steps[index]!.ask === undefined) return { parts: [], vars, attributes: {}, completed: false };
  const step = flow.steps[index]!;
  const value = capture(step, text);
  if (value !== undefined) {
    const next = { ...vars, [step.capture!.var]: value };
    return run(position.name, flow, nextStep(flow, index, next), { parts: [], vars: next, attributes: {} }, now);
  }
  if (position.retries < step.max_retries) {
    return {
      parts: [partOf(step, flow, step.retry_text ?? step.ask!, vars, true)],
      position: { ...position, retries: position.retries + 1, at: now },
      vars, attributes: {}, completed: false,
    };
  }
  if (step.on_fail === 'handoff') return { parts: [], vars, attributes: {}, completed: false, handoff: { reason: `${position.name}:${step.id}:no_valid_answer` } };
  if (step.on_fail === 'end') return { parts: [], vars, attributes: {}, completed: false };
  return run(position.name, flow, step.on_fail, { parts: [], vars, attributes: {} }, now);
}

export function flowTimedOut(file: ConversationFile, position: FlowPosition, now: number): boolean {
  const flow = file.flows[position.name];
  return !flow || now - position.at > flow.idle_timeout_minutes * 60_000;
}
