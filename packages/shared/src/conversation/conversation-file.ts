import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/app-error';

/**
 * The operator's conversation file (CONVERSATION_FILE): keyword routes checked before the AI, and
 * multi-step flows. This schema is the single description of the format: the loader, its error
 * lines and the docs' field table come from it.
 */

const Name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'may contain letters, digits, _ and - only (at most 64)');
const VarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a variable name (letters, digits and _, not starting with a digit)');
/** WhatsApp's text limit */
const Text = z.string().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters');
const Flags = z.string().regex(/^[imsu]*$/, 'may contain only the regex flags i, m, s and u').optional()
  .describe('JavaScript regex flags: i (ignore case), m, s, u');
const Regex = z.string().min(1).describe('a JavaScript regular expression');
const Properties = z.record(z.string().regex(/^[A-Za-z0-9_]+$/, 'trigger property names may contain letters, digits and _ only'), z.union([z.string(), z.number(), z.boolean()]))
  .describe('extra trigger properties for the campaign; strings may use {{var}}');
const AttributeValue = z.union([z.string().max(255), z.number(), z.boolean(), z.null(), z.object({ inc: z.number() }).strict()]);
const Attributes = z.record(z.string().regex(/^[A-Za-z0-9_]{1,100}$/, 'attribute names may contain letters, digits and _ only'), AttributeValue)
  .describe('custom attributes written to the Braze profile: a value ({{var}} allowed), or {inc: n}');
const CampaignId = z.string().min(1).describe('API-triggered campaign for this reply; default BRAZE_CAMPAIGN_ID');
/** The tools the AI may be offered (AI_TOOLS). */
export const AI_TOOL_NAMES = ['handoff_to_agent', 'set_user_attributes', 'log_event', 'start_flow'] as const;
export type AiToolName = (typeof AI_TOOL_NAMES)[number];

const Match = z.object({
  keywords: z.array(z.string().min(1)).min(1).optional()
    .describe('whole-message keywords: case, accents, surrounding spaces and trailing punctuation ignored'),
  regex: Regex.optional().describe('a JavaScript regular expression tested against the message (anywhere in it, unless anchored with ^ and $)'),
  flags: Flags,
}).strict().refine((m) => (m.keywords === undefined) !== (m.regex === undefined), 'needs exactly one of keywords or regex');

const ACTION = 'reply (a fixed text), ai (the AI, with this route\'s prompt), flow (start a flow), handoff (a person takes over), or ignore (no reply)';
const routeBase = {
  name: Name.describe('unique; also the path of /webhooks/braze/whatsapp/<name>'),
  match: Match.optional().describe('when to take this route; without it the route is reached only by its webhook path'),
};
export const Route = z.discriminatedUnion('action', [
  z.object({ ...routeBase, action: z.literal('reply').describe(ACTION), text: Text.describe('the fixed reply; {{var}} allowed'), campaign_id: CampaignId.optional(), properties: Properties.optional() }).strict(),
  z.object({
    ...routeBase,
    action: z.literal('ai').describe(ACTION),
    system_prompt: Text.optional().describe('default AI_SYSTEM_PROMPT'),
    model: z.string().min(1).optional().describe('default AI_MODEL'),
    campaign_id: CampaignId.optional(),
    tools: z.array(z.enum(AI_TOOL_NAMES, { message: `must be one of ${AI_TOOL_NAMES.join(', ')}` })).optional()
      .describe(`the AI tools this route offers when AI_TOOLS=true (${AI_TOOL_NAMES.join(', ')}); default all that are configured, [] none`),
  }).strict(),
  z.object({ ...routeBase, action: z.literal('flow').describe(ACTION), flow: Name.describe('the flow to start (a name under flows:)') }).strict(),
  z.object({
    ...routeBase,
    action: z.literal('handoff').describe(ACTION),
    text: Text.optional().describe('what the customer is told; default AGENT_HANDOFF_TEXT'),
    reason: z.string().min(1).max(200).optional().describe('shown to agents; default the route name'),
  }).strict(),
  z.object({ ...routeBase, action: z.literal('ignore').describe(ACTION) }).strict(),
]);
export type Route = z.infer<typeof Route>;

export const OPERATORS = ['equals', 'not_equals', 'contains', 'matches', 'is_set'] as const;
const Condition = z.object({
  var: VarName.describe('the captured variable to test'),
  equals: z.string().optional().describe('the same text, case and accents aside'),
  not_equals: z.string().optional().describe('not the same text, case and accents aside'),
  contains: z.string().optional().describe('contains the text, case and accents aside'),
  matches: Regex.optional().describe('matches the regular expression (with flags)'),
  flags: Flags,
  is_set: z.boolean().optional().describe('true: the variable has a value; false: it has none'),
}).strict().refine((c) => OPERATORS.filter((op) => c[op] !== undefined).length === 1, `needs exactly one of ${OPERATORS.join(', ')}`);
export type Condition = z.infer<typeof Condition>;
const SwitchCase = z.union([z.object({ if: Condition, goto: Name }).strict(), z.object({ else: Name }).strict()]);

export const Step = z.object({
  id: Name.describe('unique within the flow'),
  ask: Text.optional().describe('a question; the next message is captured'),
  say: Text.optional().describe('a message; the flow goes on at once'),
  handoff: z.union([z.literal(true), z.object({ reason: z.string().min(1).max(200).optional(), text: Text.optional() }).strict()]).optional()
    .describe('hand the conversation to a person (the flow ends)'),
  capture: z.object({ var: VarName, regex: Regex.optional(), flags: Flags }).strict().optional()
    .describe('where an ask step keeps the answer, and the pattern it must match'),
  choices: z.array(z.string().min(1).max(20, 'WhatsApp quick-reply labels are at most 20 characters')).min(1).max(10).optional()
    .describe('answers offered; sent as trigger properties choice_1..n; the answer must be one of them (or its number)'),
  retry_text: Text.optional().describe('sent when an answer does not fit; default: the question again'),
  max_retries: z.number().int().min(0).max(10).default(2).describe('bad answers allowed before on_fail'),
  on_fail: z.string().min(1).default('end').describe('handoff, end, or a step id'),
  campaign_id: CampaignId.optional(),
  properties: Properties.optional(),
  set_attributes: Attributes.optional(),
  switch: z.array(SwitchCase).min(1).optional().describe('branches checked in order after the step: {if: {var, <operator>: value}, goto} or {else: step}'),
  goto: Name.optional().describe('the next step; default the one below'),
  end: z.literal(true).optional().describe('the flow is complete after this step'),
}).strict().superRefine((s, ctx) => {
  const kinds = (['ask', 'say', 'handoff'] as const).filter((k) => s[k] !== undefined);
  if (kinds.length !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of ask, say or handoff' });
  if (s.ask !== undefined && !s.capture) ctx.addIssue({ code: 'custom', path: ['capture'], message: 'is required on an ask step (capture: {var: name})' });
  if (s.ask === undefined && (s.capture || s.choices || s.retry_text)) ctx.addIssue({ code: 'custom', path: [s.capture ? 'capture' : s.choices ? 'choices' : 'retry_text'], message: 'belongs to an ask step only' });
  if (s.choices && s.capture?.regex) ctx.addIssue({ code: 'custom', path: ['capture', 'regex'], message: 'cannot be combined with choices' });
  if (s.handoff !== undefined && (s.goto || s.switch || s.end)) ctx.addIssue({ code: 'custom', path: ['handoff'], message: 'ends the flow: no goto, switch or end with it' });
  const transitions = [s.goto, s.switch, s.end].filter((t) => t !== undefined).length;
  if (transitions > 1) ctx.addIssue({ code: 'custom', message: 'takes only one of goto, switch or end' });
});
export type Step = z.infer<typeof Step>;

export const Flow = z.object({
  idle_timeout_minutes: z.number().int().min(1).max(24 * 60).default(30).describe('then the flow ends and the next message goes to the routes and the AI'),
  timeout_text: Text.optional().describe('sent before answering the first message after a timeout'),
  campaign_id: CampaignId.optional(),
  steps: z.array(Step).min(1).describe('run from the first; each goes on to the one below unless it says otherwise'),
}).strict();
export type Flow = z.infer<typeof Flow>;

export const ConversationFile = z.object({
  routes: z.array(Route).default([]).describe('checked in order before the AI; the first match wins'),
  flows: z.record(Name, Flow).default({}).describe('multi-step conversations, by name'),
}).strict();
export type ConversationFile = z.infer<typeof ConversationFile>;

export const EMPTY_CONVERSATION_FILE: ConversationFile = { routes: [], flows: {} };

/** JavaScript regexes have no inline flags; Braze's own keyword filter uses (?i). */
function compileProblem(source: string, flags = ''): string | undefined {
  if (/^\(\?[a-z]+\)/.test(source)) return 'inline flags such as (?i) do not work here: write the pattern without them and add flags: i';
  try {
    new RegExp(source, flags);
    return undefined;
  } catch (err) {
    return `does not compile: ${(err as Error).message}`;
  }
}

/** The step ids a step can go to next; `null` is the end of the flow. */
export function successors(flow: Flow, index: number): Array<string | null> {
  const step = flow.steps[index]!;
  if (step.handoff !== undefined) return [null];
  const below = flow.steps[index + 1]?.id ?? null;
  let after: Array<string | null>;
  if (step.end) after = [null];
  else if (step.goto) after = [step.goto];
  else if (step.switch) {
    after = step.switch.map((c) => ('goto' in c ? c.goto : c.else));
    if (!step.switch.some((c) => 'else' in c)) after.push(below);
  } else after = [below];
  if (step.ask !== undefined) after.push(step.on_fail === 'end' || step.on_fail === 'handoff' ? null : step.on_fail);
  return after;
}

type Issue = { path: Array<string | number>; message: string };

/** What zod cannot check: names that must exist, regexes that must compile, flows that must be able to end. */
function crossCheck(file: ConversationFile): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  file.routes.forEach((route, i) => {
    if (seen.has(route.name.toLowerCase())) issues.push({ path: ['routes', i, 'name'], message: `"${route.name}" is used by another route` });
    seen.add(route.name.toLowerCase());
    if (route.match?.regex) {
      const problem = compileProblem(route.match.regex, route.match.flags);
      if (problem) issues.push({ path: ['routes', i, 'match', 'regex'], message: problem });
    }
    if (route.action === 'flow' && !file.flows[route.flow]) issues.push({ path: ['routes', i, 'flow'], message: `"${route.flow}" is not a flow of this file` });
    if (route.action === 'ai' && route.tools?.includes('start_flow') && Object.keys(file.flows).length === 0) {
      issues.push({ path: ['routes', i, 'tools'], message: 'offers start_flow, but this file has no flows to start' });
    }
  });
  for (const [name, flow] of Object.entries(file.flows)) {
    const ids = new Map<string, number>();
    flow.steps.forEach((step, i) => {
      const at = (...rest: Array<string | number>) => ['flows', name, 'steps', i, ...rest];
      if (ids.has(step.id)) issues.push({ path: at('id'), message: `"${step.id}" is used by another step of the flow` });
      ids.set(step.id, i);
      for (const [field, source, flags] of [['capture', step.capture?.regex, step.capture?.flags], ...(step.switch ?? []).map((c, k) => ['switch', 'if' in c ? c.if.matches : undefined, 'if' in c ? c.if.flags : undefined, k])] as Array<[string, string | undefined, string | undefined, number?]>) {
        const problem = source === undefined ? undefined : compileProblem(source, flags);
        if (problem) issues.push({ path: at(field, ...(field === 'capture' ? ['regex'] : [])), message: problem });
      }
    });
    flow.steps.forEach((step, i) => {
      const targets: Array<[string, string]> = [];
      if (step.goto) targets.push(['goto', step.goto]);
      for (const c of step.switch ?? []) targets.push(['switch', 'goto' in c ? c.goto : c.else]);
      if (step.ask !== undefined && step.on_fail !== 'end' && step.on_fail !== 'handoff') targets.push(['on_fail', step.on_fail]);
      for (const [field, target] of targets) {
        if (!ids.has(target)) issues.push({ path: ['flows', name, 'steps', i, field], message: `"${target}" names no step of the flow (use a step id${field === 'on_fail' ? ', end or handoff' : ''})` });
      }
    });
    if (issues.length === 0) {
      // every step the flow can reach must be able to reach an end, or a customer could be stuck in it
      const canEnd = new Set<number>();
      for (let changed = true; changed;) {
        changed = false;
        flow.steps.forEach((_, i) => {
          if (!canEnd.has(i) && successors(flow, i).some((s) => s === null || canEnd.has(ids.get(s)!))) { canEnd.add(i); changed = true; }
        });
      }
      const reachable = new Set<number>([0]);
      for (const i of reachable) for (const s of successors(flow, i)) if (s !== null) reachable.add(ids.get(s)!);
      const stuck = [...reachable].find((i) => !canEnd.has(i));
      if (stuck !== undefined) issues.push({ path: ['flows', name, 'steps', stuck], message: 'cannot reach an end: every way on loops back (add end: true, a step without goto at the bottom, or an on_fail)' });
      const spin = loopWithoutAsk(flow, ids);
      if (stuck === undefined && spin !== undefined) issues.push({ path: ['flows', name, 'steps', spin], message: 'is on a loop of steps that never asks anything: the flow would go round without waiting for the customer' });
    }
  }
  return issues;
}

/** A step on a cycle of say/handoff steps (only an ask step waits for the customer). */
function loopWithoutAsk(flow: Flow, ids: Map<string, number>): number | undefined {
  const state = new Map<number, 'open' | 'done'>();
  const visit = (i: number): number | undefined => {
    if (flow.steps[i]!.ask !== undefined || state.get(i) === 'done') return undefined;
    if (state.get(i) === 'open') return i;
    state.set(i, 'open');
    for (const s of successors(flow, i)) {
      const found = s === null ? undefined : visit(ids.get(s)!);
      if (found !== undefined) return found;
    }
    state.set(i, 'done');
    return undefined;
  };
  for (let i = 0; i < flow.steps.length; i++) {
    const found = visit(i);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** "route \"orders\" field match.regex", "flow \"returns\" step \"ask_order\" field capture" */
function describePath(raw: unknown, path: Array<string | number | symbol>): string {
  const p = path.map((x) => (typeof x === 'symbol' ? String(x) : x));
  const data = raw as { routes?: Array<{ name?: unknown }>; flows?: Record<string, { steps?: Array<{ id?: unknown }> }> } | undefined;
  const field = (rest: Array<string | number>) => (rest.length ? ` field ${rest.join('.')}` : '');
  if (p[0] === 'routes' && typeof p[1] === 'number') {
    const name = data?.routes?.[p[1]]?.name;
    return `route ${typeof name === 'string' ? `"${name}"` : `#${p[1] + 1}`}${field(p.slice(2))}`;
  }
  if (p[0] === 'flows' && typeof p[1] === 'string') {
    if (p[2] === 'steps' && typeof p[3] === 'number') {
      const id = data?.flows?.[p[1]]?.steps?.[p[3]]?.id;
      return `flow "${p[1]}" step ${typeof id === 'string' ? `"${id}"` : `#${p[3] + 1}`}${field(p.slice(4))}`;
    }
    return `flow "${p[1]}"${field(p.slice(2))}`;
  }
  return p.length ? `field ${p.join('.')}` : 'the file';
}

/** Validates parsed content; throws a one-line ConfigError naming the file, the route/flow/step and the field. */
export function parseConversationFile(raw: unknown, source: string): ConversationFile {
  const result = ConversationFile.safeParse(raw ?? {});
  const issues: Issue[] = result.success
    ? crossCheck(result.data)
    : result.error.issues.map((i) => (i.code === 'unrecognized_keys'
      ? { path: [...i.path, i.keys.join(', ')] as Array<string | number>, message: 'is not a field of this format (check its spelling and indentation)' }
      : { path: i.path as Array<string | number>, message: i.message }));
  if (issues.length === 0 && result.success) return result.data;
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new ConfigError(`${source}: ${describePath(raw, first.path)} ${first.message}${more}`);
}

/** Reads a JSON or YAML conversation file. */
export function loadConversationFile(path: string, variable = 'CONVERSATION_FILE'): ConversationFile {
  const source = `${variable} ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${source}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new ConfigError(`${source}: is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseConversationFile(raw, source);
}

/** CONVERSATION_FILE, or its older name ROUTES_FILE. */
export const ConversationFileEnv = {
  CONVERSATION_FILE: z.string().optional().describe('Path of the conversation file (JSON or YAML): keyword routes and flows; see docs/conversations.md. Unset: every message goes to the AI.'),
  ROUTES_FILE: z.string().optional().describe('Older name of CONVERSATION_FILE, still accepted.'),
};
export function conversationFileFrom(env: { CONVERSATION_FILE?: string; ROUTES_FILE?: string }): ConversationFile {
  if (env.CONVERSATION_FILE) return loadConversationFile(env.CONVERSATION_FILE);
  if (env.ROUTES_FILE) return loadConversationFile(env.ROUTES_FILE, 'ROUTES_FILE');
  return EMPTY_CONVERSATION_FILE;
}
