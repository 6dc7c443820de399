import type { Route } from '@bridge/shared';

/**
 * How a whole message is compared with a keyword: case, accents, surrounding and repeated spaces
 * and trailing punctuation do not count. "  Devolução! " and "DEVOLUCAO" are the same word.
 */
export function normalizeKeyword(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/^[¡¿]+/u, '')
    .replace(/[\s.!?¡¿,;:…]+$/u, '')
    .toUpperCase();
}

/** A set of whole-message keywords. */
export function keywordSet(keywords: string[]): (text: string) => boolean {
  const set = new Set(keywords.map(normalizeKeyword).filter(Boolean));
  return (text) => set.has(normalizeKeyword(text));
}

export type RouteMatcher = (text: string) => Route | undefined;

/** The first route whose keywords or regex match; routes without `match` are reached by their webhook path only. */
export function routeMatcher(routes: Route[]): RouteMatcher {
  const tests = routes.flatMap((route) => {
    if (!route.match) return [];
    if (route.match.keywords) {
      const has = keywordSet(route.match.keywords);
      return [{ route, test: has }];
    }
    const regex = new RegExp(route.match.regex!, route.match.flags ?? '');
    return [{ route, test: (text: string) => regex.test(text) }];
  });
  return (text) => tests.find((t) => t.test(text))?.route;
}

/**
 * Opt-out and opt-in words in English, Portuguese and Spanish. Braze handles them itself (it changes
 * the subscription and may answer); a bot reply on top would be a second, unwanted message.
 */
export const DEFAULT_SILENT_KEYWORDS = [
  // English
  'STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'OPT OUT', 'OPT-OUT', 'REVOKE',
  // Portuguese
  'PARAR', 'PARE', 'SAIR', 'CANCELAR', 'DESCADASTRAR', 'DESCADASTRO', 'DESINSCREVER',
  // Spanish
  'BAJA', 'DAR DE BAJA', 'ALTO', 'DETENER', 'DESUSCRIBIR', 'CANCELAR SUSCRIPCIÓN',
  // opt-in again
  'START', 'UNSTOP', 'VOLTAR',
].join(',');
