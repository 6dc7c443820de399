import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors/app-error';
import { loadConversationFile, parseConversationFile } from './conversation-file';

const route = (extra: Record<string, unknown>) => ({ name: 'r1', match: { keywords: ['HI'] }, action: 'reply', text: 'hello', ...extra });
const flow = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ routes: [{ name: 'go', match: { keywords: ['GO'] }, action: 'flow', flow: 'f' }], flows: { f: { steps, ...extra } } });
const ask = (id: string, extra: Record<string, unknown> = {}) => ({ id, ask: 'Q?', capture: { var: 'v' }, ...extra });

function problem(raw: unknown): string {
  try {
    parseConversationFile(raw, 'CONVERSATION_FILE c.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('conversation file: mistakes stop start-up with one line naming the route, flow, step and field', () => {
  test.each([
    ['an unknown action', { routes: [route({ action: 'dance' })] }, 'CONVERSATION_FILE c.yaml: route "r1" field action'],
    ['a route without text for reply', { routes: [{ name: 'r1', match: { keywords: ['HI'] }, action: 'reply' }] }, 'route "r1" field text'],
    ['two routes with one name', { routes: [route({}), route({ text: 'x' })] }, 'route "r1" field name "r1" is used by another route'],
    ['a route name unfit for a URL path', { routes: [route({ name: 'my route' })] }, 'route "my route" field name may contain letters, digits, _ and - only'],
    ['both keywords and regex', { routes: [route({ match: { keywords: ['A'], regex: 'a' } })] }, 'route "r1" field match needs exactly one of keywords or regex'],
    ['a regex that does not compile', { routes: [route({ match: { regex: '(unclosed' } })] }, 'route "r1" field match.regex does not compile'],
    ['a regex with inline flags', { routes: [route({ match: { regex: '(?i)stop' } })] }, 'inline flags such as (?i) do not work here'],
    ['an unknown regex flag', { routes: [route({ match: { regex: 'a', flags: 'g' } })] }, 'route "r1" field match.flags may contain only the regex flags i, m, s and u'],
    ['a flow route naming no flow', { routes: [{ name: 'r1', match: { keywords: ['HI'] }, action: 'flow', flow: 'nope' }] }, 'route "r1" field flow "nope" is not a flow of this file'],
    ['a step id used twice', flow([ask('a'), ask('a')]), 'flow "f" step "a" field id "a" is used by another step of the flow'],
    ['a goto to nothing', flow([ask('a', { goto: 'nowhere' })]), 'flow "f" step "a" field goto "nowhere" names no step of the flow'],
    ['an on_fail to nothing', flow([ask('a', { on_fail: 'later' })]), 'flow "f" step "a" field on_fail "later" names no step of the flow (use a step id, end or handoff)'],
    ['a switch to nothing', flow([ask('a', { switch: [{ if: { var: 'v', equals: 'x' }, goto: 'b' }] })]), 'flow "f" step "a" field switch "b" names no step'],
    ['a capture regex that does not compile', flow([ask('a', { capture: { var: 'v', regex: '[' } })]), 'flow "f" step "a" field capture.regex does not compile'],
    ['an ask step without capture', flow([{ id: 'a', ask: 'Q?' }]), 'flow "f" step "a" field capture is required on an ask step'],
    ['a step that says and asks', flow([{ id: 'a', ask: 'Q?', say: 'S', capture: { var: 'v' } }]), 'flow "f" step "a" needs exactly one of ask, say or handoff'],
    ['a condition with two operators', flow([ask('a', { switch: [{ if: { var: 'v', equals: 'x', contains: 'y' }, goto: 'a' }, { else: 'a' }] })]), 'needs exactly one of equals, not_equals, contains, matches, is_set'],
    ['a flow that cannot end', flow([ask('a', { goto: 'b', on_fail: 'b' }), ask('b', { goto: 'a', on_fail: 'a' })]), 'flow "f" step "a" cannot reach an end'],
    ['a loop that never asks', flow([{ id: 'a', say: 'one', goto: 'b' }, { id: 'b', say: 'two', switch: [{ if: { var: 'v', is_set: true }, goto: 'c' }, { else: 'a' }] }, { id: 'c', say: 'done', end: true }]), 'is on a loop of steps that never asks anything'],
    ['a choice label over WhatsApp\'s 20 characters', flow([ask('a', { choices: ['This label is far too long'] })]), 'WhatsApp quick-reply labels are at most 20 characters'],
    ['an unknown field', { routes: [route({ colour: 'red' })] }, 'route "r1" field colour is not a field of this format'],
  ])('when the file has %s, then the error says where', (_case, raw, expected) => {
    expect(problem(raw)).toContain(expected);
  });

  test('when there are several mistakes, then the first is named and the rest counted', () => {
    expect(problem({ routes: [route({ action: 'dance' }), route({ name: 'r2', action: 'sing' })] })).toMatch(/\(and 1 more problem\)$/);
  });

  test.each([
    ['a say step ending the flow', flow([{ id: 'a', say: 'bye', end: true }])],
    ['a loop through an ask step', flow([ask('a', { goto: 'b' }), { id: 'b', say: 'again?', switch: [{ if: { var: 'v', equals: 'no' }, goto: 'a' }, { else: 'c' }] }, { id: 'c', say: 'done' }])],
    ['a handoff step', flow([ask('a'), { id: 'h', handoff: { reason: 'wants a person' } }])],
    ['a route without match (reached by its webhook path only)', { routes: [{ name: 'campaign-b', action: 'ai' }] }],
  ])('when the file has %s, then it loads', (_case, raw) => {
    expect(() => parseConversationFile(raw, 'x')).not.toThrow();
  });
});

describe('loadConversationFile', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-conv-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('when the sample of examples/ is loaded, then its routes and flow are there', () => {
    const file = loadConversationFile(path.join(__dirname, '../../../../examples/conversation.yaml'));
    expect(file.routes.map((r) => r.name)).toEqual(['human', 'hours', 'orders', 'returns', 'quiet']);
    expect(file.flows.returns!.steps.map((s) => s.id)).toEqual(['ask_order', 'reason', 'details', 'done']);
    expect(file.flows.returns!.steps[0]!.max_retries).toBe(2);
  });

  test('when the file is JSON, then it is read as JSON', () => {
    const p = path.join(dir, 'c.json');
    writeFileSync(p, JSON.stringify({ routes: [route({})] }));
    expect(loadConversationFile(p).routes).toHaveLength(1);
  });

  test.each([
    ['YAML that does not parse', 'c.yaml', 'routes: [\n  - name: a\n', 'CONVERSATION_FILE PATH: is not valid YAML'],
    ['YAML with a key twice', 'c.yaml', 'routes: []\nroutes: []\n', 'is not valid YAML'],
    ['JSON that does not parse', 'c.json', '{"routes": [', 'CONVERSATION_FILE PATH: is not valid JSON'],
  ])('when the file holds %s, then start-up names the file', (_case, name, content, expected) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    expect(() => loadConversationFile(p)).toThrow(expected.replace('PATH', p));
  });

  test('when the file does not exist, then the error names the variable, the path and why', () => {
    const p = path.join(dir, 'missing.yaml');
    expect(() => loadConversationFile(p, 'ROUTES_FILE')).toThrow(`ROUTES_FILE ${p}: cannot be read (ENOENT)`);
  });
});
