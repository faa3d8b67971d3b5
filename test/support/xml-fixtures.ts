import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** One <pointsTransfer> of Open Loyalty's import format; keys become child elements, in this order. */
export type ImportItemFixture = Partial<
  Record<'customerId' | 'customerEmail' | 'customerPhoneNumber' | 'customerLoyaltyCardNumber' | 'points' | 'type' | 'validityDuration' | 'comment', string>
>;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function pointsTransferXml(item: ImportItemFixture): string {
  const fields = Object.entries(item)
    .map(([name, value]) => `<${name}>${escape(String(value))}</${name}>`)
    .join('');
  return `<pointsTransfer>${fields}</pointsTransfer>`;
}

export function pointsTransfersXml(items: readonly ImportItemFixture[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<pointsTransfers>\n${items.map((item) => `  ${pointsTransferXml(item)}\n`).join('')}</pointsTransfers>\n`;
}

/** The classic "billion laughs": nested entities that expand to gigabytes if a parser expands them. */
export function billionLaughsXml(): string {
  const entities = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?>\n<!DOCTYPE pointsTransfers [\n ${entities.join('\n ')}\n]>\n<pointsTransfers><pointsTransfer><customerId>&lol9;</customerId><points>1</points><type>adding</type></pointsTransfer></pointsTransfers>\n`;
}

/** An external entity pointing at a local file (XXE). */
export function externalEntityXml(customerId: string): string {
  return `<?xml version="1.0"?>\n<!DOCTYPE pointsTransfers [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>\n<pointsTransfers><pointsTransfer><customerId>${customerId}</customerId><points>1</points><type>adding</type><comment>&secret;</comment></pointsTransfer></pointsTransfers>\n`;
}

/** Writes `count` adding items for `customers` (round robin) to `path`, streaming, for large-import tests and the bench. */
export async function writeLargeImportFile(path: string, count: number, customers: readonly string[]): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('<?xml version="1.0" encoding="UTF-8"?>\n<pointsTransfers>\n');
  for (let i = 0; i < count; i++) {
    await write(`  ${pointsTransferXml({ customerId: customers[i % customers.length], points: String(1 + (i % 50)), type: 'adding', comment: `import ${i}` })}\n`);
  }
  await write('</pointsTransfers>\n');
  out.end();
  await once(out, 'finish');
}
