import { createHash } from 'node:crypto';

/**
 * A name-based (RFC 4122 version 5 style) uuid: the same name always gives the same id.
 * Ids derived from an idempotency key make a retried command append the same event ids,
 * which the event store stores only once, even after a crash between two steps.
 */
export function deterministicUuid(namespace: string, name: string): string {
  const bytes = createHash('sha1').update(namespace).update('\u0000').update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
