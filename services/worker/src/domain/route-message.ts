export type Route = 'silent' | 'ai';

const normalize = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').replace(/[.!?]+$/, '').toUpperCase();

/**
 * Opt-out and opt-in words are Braze's to handle (it changes the subscription and may answer);
 * a bot reply on top would be a second, unwanted message. A message matches when it is the
 * keyword alone, in any case, with trailing punctuation.
 */
export function createRouter(silentKeywords: string[]) {
  const keywords = new Set(silentKeywords.map(normalize));
  return (text: string): Route => (keywords.has(normalize(text)) ? 'silent' : 'ai');
}
