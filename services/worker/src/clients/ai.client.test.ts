import { readAnswer } from './ai.client';

describe('readAnswer: what an OpenAI-compatible answer gives the customer', () => {
  test.each([
    ['text', { content: 'Hello!' }, 'stop', { kind: 'text', content: 'Hello!', finishReason: 'stop' }],
    ['a refusal with content null', { content: null, refusal: 'I cannot help with that.' }, 'stop', { kind: 'refusal', text: 'I cannot help with that.' }],
    ['a refusal without text', { content: null, refusal: '' }, 'stop', { kind: 'refusal', text: '' }],
    ['tool calls nobody asked for', { content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'x', arguments: '{}' } }] }, 'tool_calls', { kind: 'empty', why: 'unrequested_tool_calls' }],
    ['an empty string', { content: '' }, 'stop', { kind: 'empty', why: 'blank' }],
    ['only whitespace', { content: ' \n\t ' }, 'stop', { kind: 'empty', why: 'blank' }],
    ['no content field (Ollama-style)', {}, null, { kind: 'empty', why: 'no_content' }],
  ])('when the message is %s, then it reads as %j', (_case, message, finish, expected) => {
    expect(readAnswer(message as never, finish)).toEqual(expected);
  });
});
