import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The Prems API document our users code against; CI keeps ../shared beside the repository. */
export const PREMS_SEED = resolve(__dirname, '../../../shared/seeds/prems-bonus-system-shopware.md');

export interface PostmanRequestItem {
  name: string;
  request: { method: string; url: { raw: string; path: string[] }; body?: { raw?: string } };
}

export interface PostmanCollection {
  info: { name: string };
  item: PostmanRequestItem[];
  variable: { key: string; value: string }[];
}

/** The Postman collection exactly as the seed prints it (the fenced block holding `"info"`). */
export function premsCollection(): PostmanCollection {
  const text = readFileSync(PREMS_SEED, 'utf8');
  const block = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((match) => match[1]).find((body) => body.includes('"info"'));
  if (!block) throw new Error(`no Postman collection found in ${PREMS_SEED}`);
  return JSON.parse(block) as PostmanCollection;
}

/** One of the collection's requests by name: its path (no host) and its raw body, comments and all. */
export function premsSeedRequest(name: string): { path: string; raw: string } {
  const item = premsCollection().item.find((candidate) => candidate.name === name);
  if (!item?.request.body?.raw) throw new Error(`the Prems seed has no request named "${name}" with a body`);
  return { path: `/${item.request.url.path.join('/')}`, raw: item.request.body.raw };
}
