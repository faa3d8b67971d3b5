import type { FastifyInstance } from 'fastify';

/**
 * JSON text without its comments: `// ...` to the end of the line and `/* ... *\/`, outside string
 * literals only (a URL's `//` inside a string stays). Each comment leaves its line break or a space
 * behind, so `1/**\/2` never glues into `12` and line numbers in parse errors still match. An
 * unterminated block comment is left in place, for the parser to refuse.
 */
export function stripJsonComments(text: string): string {
  if (!text.includes('/')) return text;
  let out = '';
  // start of the text not yet copied to `out`
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (char === '/' && text[i + 1] === '/') {
      out += text.slice(copied, i);
      let end = i + 2;
      while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
      copied = i = end;
      continue;
    }
    if (char === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) break;
      out += text.slice(copied, i) + ' ';
      copied = i = close + 2;
      continue;
    }
    i++;
  }
  return out + text.slice(copied);
}

/** Index just past the string literal opening at `start` (a backslash escapes the next character). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return i;
}

/** Whether a request URL's path is one of the prefixes or below one. */
export function underPrefixes(url: string, prefixes: readonly string[]): boolean {
  const path = url.split('?', 1)[0];
  return prefixes.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

export interface JsonBodyOptions {
  /** paths below which JSON bodies may carry comments (clients whose documents send them, e.g. Prems via Postman) */
  commentsAllowedUnder: readonly string[];
}

/**
 * Replaces Fastify's JSON parser with the same parser (body limit, prototype-poisoning keys removed, empty
 * body refusal) that first strips comments for requests under `commentsAllowedUnder`; every other
 * path keeps strict JSON.
 */
export function installJsonBodyParser(fastify: FastifyInstance, options: JsonBodyOptions): void {
  // `__proto__` and `constructor.prototype` keys are dropped, as any field no DTO declares is: never merged, never a refusal
  const strict = fastify.getDefaultJsonParser('remove', 'remove');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    strict(request, underPrefixes(request.url, options.commentsAllowedUnder) ? stripJsonComments(text) : text, done);
  });
}
