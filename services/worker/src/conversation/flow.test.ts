import { parseConversationFile, type Condition } from '@bridge/shared';
import { answerFlow, capture, conditionHolds, startFlow } from './flow';

describe('conditionHolds: the branch operators', () => {
  const vars = { reason: 'Other', code: 'AB-123', empty: '' };
  test.each<[Condition, boolean]>([
    [{ var: 'reason', equals: 'other' }, true],
    [{ var: 'reason', equals: 'Damaged' }, false],
    [{ var: 'missing', equals: '' }, true],
    [{ var: 'reason', not_equals: 'Damaged' }, true],
    [{ var: 'reason', not_equals: 'OTHER' }, false],
    [{ var: 'code', contains: 'b-1' }, true],
    [{ var: 'code', contains: 'x' }, false],
    [{ var: 'code', matches: '^[A-Z]{2}-\\d+$' }, true],
    [{ var: 'code', matches: '^ab', flags: 'i' }, true],
    [{ var: 'code', matches: '^ab' }, false],
    [{ var: 'reason', is_set: true }, true],
    [{ var: 'empty', is_set: true }, false],
    [{ var: 'missing', is_set: false }, true],
  ])('when the condition is %j, then it holds: %s', (condition, expected) => {
    expect(conditionHolds(condition, vars)).toBe(expected);
  });
});

describe('capture', () => {
  const file = parseConversationFile({
    flows: {
      f: {
        steps: [
          { id: 'digits', ask: 'n?', capture: { var: 'n', regex: '^[0-9]{6,10}$' } },
          { id: 'group', ask: 'code?', capture: { var: 'c', regex: 'code ([A-Z]+)', flags: 'i' } },
          { id: 'choice', ask: 'which?', choices: ['Damaged', 'Wrong item', 'Other'], capture: { var: 'r' } },
          { id: 'free', ask: 'say?', capture: { var: 's' } },
        ],
      },
    },
  }, 'test');
  const step = (id: string) => file.flows.f!.steps.find((s) => s.id === id)!;

  test.each([
    ['digits', ' 1234567 ', '1234567'],
    ['digits', '12345', undefined],
    ['digits', 'my order is 1234567', undefined],
    ['group', 'my CODE xyz please', 'xyz'],
    ['choice', 'wrong ITEM', 'Wrong item'],
    ['choice', '3', 'Other'],
    ['choice', '4', undefined],
    ['choice', 'broken', undefined],
    ['free', '  anything goes ', 'anything goes'],
    ['free', '   ', undefined],
  ])('when step %s gets %j, then it captures %j', (id, answer, expected) => {
    expect(capture(step(id), answer)).toBe(expected);
  });
});

describe('flows, step by step', () => {
  const file = parseConversationFile({
    flows: {
      f: {
        campaign_id: 'flow-campaign',
        steps: [
          { id: 'intro', say: 'Hi {{name}}.' },
          { id: 'q', ask: 'Number?', capture: { var: 'n', regex: '^\\d+$' }, max_retries: 1, on_fail: 'fallback', properties: { topic: 'n={{n}}' } },
          { id: 'done', say: 'Got {{n}}.', set_attributes: { last_n: '{{n}}', count: { inc: 1 } }, end: true },
          { id: 'fallback', say: 'Let us skip it.', goto: 'done' },
        ],
      },
    },
  }, 'test');

  test('when a flow starts, then it says its say steps and asks the first question, in its campaign', () => {
    const run = startFlow(file, 'f', { name: 'Ana' }, 1_000);
    expect(run.parts).toEqual([{ text: 'Hi Ana.', campaignId: 'flow-campaign' }, { text: 'Number?', campaignId: 'flow-campaign', properties: { topic: 'n=' } }]);
    expect(run.position).toEqual({ name: 'f', step: 'q', retries: 0, at: 1_000 });
  });

  test('when the answer fits, then it is captured, the next steps run and the flow completes with its attributes', () => {
    const run = answerFlow(file, { name: 'f', step: 'q', retries: 0, at: 0 }, '42', {}, 2_000);
    expect(run).toMatchObject({ parts: [{ text: 'Got 42.' }], completed: true, vars: { n: '42' }, attributes: { last_n: '42', count: { inc: 1 } } });
    expect(run.position).toBeUndefined();
  });

  test('when the answer does not fit and retries are left, then the question is asked again and a retry counted', () => {
    const run = answerFlow(file, { name: 'f', step: 'q', retries: 0, at: 0 }, 'many', {}, 2_000);
    expect(run.parts.map((p) => p.text)).toEqual(['Number?']);
    expect(run.position).toEqual({ name: 'f', step: 'q', retries: 1, at: 2_000 });
  });

  test('when the answer does not fit once too often, then on_fail decides (here a step id)', () => {
    const run = answerFlow(file, { name: 'f', step: 'q', retries: 1, at: 0 }, 'many', {}, 2_000);
    expect(run.parts.map((p) => p.text)).toEqual(['Let us skip it.', 'Got .']);
    expect(run.completed).toBe(true);
  });

  test('when the file no longer has the step a flow waits on, then the flow ends quietly', () => {
    const run = answerFlow(file, { name: 'f', step: 'gone', retries: 0, at: 0 }, '42', {}, 2_000);
    expect(run).toMatchObject({ parts: [], completed: false });
    expect(run.position).toBeUndefined();
  });
});
