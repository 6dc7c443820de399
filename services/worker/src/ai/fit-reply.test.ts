import { completeSentences, fitReply } from './fit-reply';

const limits = { maxChars: 40, maxParts: 3 };

describe('completeSentences', () => {
  it.each([
    ['a cut mid-word', 'It works. Then you tap Sett', 'It works.'],
    ['a cut mid-sentence after a question', 'Can I help? Your order is on its wa', 'Can I help?'],
    ['a cut after a full line of a list', 'Steps:\n1. Open the app\n2. Tap Set', 'Steps:\n1. Open the app'],
    ['an end anyway', 'All done. Thanks!', 'All done. Thanks!'],
    ['a number, which is not a sentence end', 'It costs 3.5 euros and then 2', ''],
    ['closing quotes, which stay with the sentence', 'He said "yes." And then', 'He said "yes."'],
    ['nothing complete in it', 'Just one unfinished thou', ''],
  ])('when the text has %s, then it ends at the last complete sentence or line', (_case, text, expected) => {
    expect(completeSentences(text)).toBe(expected);
  });
});

describe('fitReply', () => {
  it.each([
    ['short and complete', 'Hello there.', undefined, ['Hello there.']],
    ['cut by the token limit', 'Hello there. I can help with th', 'length', ['Hello there.']],
    ['cut by the token limit with nothing complete', 'I can help with th', 'length', []],
  ])('when the answer is %s, then the parts are as expected', (_case, text, finish, parts) => {
    expect(fitReply(text, finish, limits).parts).toEqual(parts);
  });

  test('when the answer is longer than one message, then it is split at the paragraph and every part fits', () => {
    const text = `${'a'.repeat(25)} end.\n\n${'b'.repeat(20)} done.`;
    const fitted = fitReply(text, 'stop', limits);
    expect(fitted.parts).toEqual([`${'a'.repeat(25)} end.`, `${'b'.repeat(20)} done.`]);
    expect(fitted).toMatchObject({ split: true, cutTooLong: false, cutAtLength: false });
  });

  test('when there is no paragraph, then it is split after a sentence', () => {
    const text = 'One short sentence here. Another sentence that is longer.';
    expect(fitReply(text, undefined, limits).parts).toEqual(['One short sentence here.', 'Another sentence that is longer.']);
  });

  test('when one sentence is longer than a message, then it is split between words', () => {
    const text = 'word '.repeat(15).trim();
    const parts = fitReply(text, undefined, limits).parts;
    expect(parts.join(' ')).toBe(text);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(40);
  });

  test('when the answer needs more than REPLY_MAX_PARTS messages, then the last one is cut after a sentence with an ellipsis', () => {
    const sentences = Array.from({ length: 12 }, (_, i) => `Sentence number ${i}.`);
    const fitted = fitReply(sentences.join(' '), undefined, { maxChars: 40, maxParts: 2 });
    expect(fitted.parts).toHaveLength(2);
    expect(fitted.cutTooLong).toBe(true);
    expect(fitted.parts[1]).toMatch(/\. …$/);
    for (const p of fitted.parts) expect(p.length).toBeLessThanOrEqual(40);
    expect(sentences.join(' ').startsWith(fitted.parts.join(' ').replace(/ …$/, ''))).toBe(true);
  });

  test('when a 5,000-character answer meets WhatsApp\'s 4,096 limit, then it goes out as two parts, each whole sentences', () => {
    const sentence = 'This is a sentence of the long answer, forty-nine. ';
    const text = sentence.repeat(100).trim();
    expect(text.length).toBeGreaterThan(5_000);
    const fitted = fitReply(text, 'stop', { maxChars: 4096, maxParts: 3 });
    expect(fitted.parts).toHaveLength(2);
    expect(fitted.parts.every((p) => p.length <= 4096 && p.endsWith('.'))).toBe(true);
    expect(fitted.parts.join(' ')).toBe(text);
  });

  test('when a hard cut is the only choice, then it never splits a surrogate pair', () => {
    const text = '😀'.repeat(30);
    const parts = fitReply(text, undefined, limits).parts;
    expect(parts.join('')).toBe(text);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(40);
  });
});
