export type Route = 'opt-out' | 'ai';

const normalize = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').replace(/[.!?]+$/, '').toUpperCase();

/**
 * Opt-out words are Braze's to handle (it unsubscribes the user); the bot must stay silent.
 * A message matches when it is the keyword alone, in any case, with trailing punctuation.
 */
export function createRouter(optOutKeywords: string[]) {
  const keywords = new Set(optOutKeywords.map(normalize));
  return (text: string): Route => (keywords.has(normalize(text)) ? 'opt-out' : 'ai');
}
