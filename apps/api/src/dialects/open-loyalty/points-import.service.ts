import { Inject, Injectable } from '@nestjs/common';
import { createReadStream, createWriteStream, WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { BulkItem, BulkOperation, BulkPoints, BulkResult, ENGINE_TELEMETRY, EngineTelemetry, RefusedBulkItem, StreamedBody } from '@app/engine';
import type { CustomerReference } from '@app/engine';
import { InvalidPointsError, parsePoints } from '@app/ledger';
import type { StoreRecord } from '@app/auth';
import { ImportedTransferItem, PointsTransferXmlReader } from './points-import.xml';

export interface ImportItemResult {
  status: 'success' | 'failed';
  processImportResult?: { object: { pointsTransferId: string } };
  identifier: string;
  message?: string;
}

export interface ImportResult {
  items: ImportItemResult[];
  totalProcessed: number;
  totalSuccess: number;
  totalFailed: number;
}

/** Where an item names its customer, in the order they are tried, and what each one is. */
const CUSTOMER_REFERENCES: ReadonlyArray<[element: string, by: CustomerReference['by']]> = [
  ['customerId', 'id'],
  ['customerEmail', 'email'],
  ['customerPhoneNumber', 'phone'],
  ['customerLoyaltyCardNumber', 'loyaltyCardNumber'],
];
/** the response is read back from its spool file in chunks of this many bytes */
const RESPONSE_CHUNK_BYTES = 256 * 1024;

class ItemRefused extends Error {}

/**
 * The import's answer, `{items, totalProcessed, totalSuccess, totalFailed}` exactly as
 * JSON.stringify(ImportResult) would write it, kept in a spool file (one JSON text per item,
 * written as the items are applied) instead of in memory: 100,000 items are about 17 MB of JSON.
 * `chunks()` reads it back in bounded chunks, for the HTTP response and, for a keyed request,
 * the idempotency guard; `release()` removes the spool once the response has been sent.
 */
export class ImportResponseBody implements StreamedBody {
  readonly streamedBody = true;
  readonly contentType = 'application/json; charset=utf-8';

  constructor(
    private readonly dir: string,
    private readonly itemsFile: string,
    readonly totals: Omit<ImportResult, 'items'>,
  ) {}

  async *chunks(): AsyncGenerator<Buffer> {
    yield Buffer.from('{"items":[');
    for await (const chunk of createReadStream(this.itemsFile, { highWaterMark: RESPONSE_CHUNK_BYTES })) yield chunk as Buffer;
    yield Buffer.from(`],${JSON.stringify(this.totals).slice(1)}`);
  }

  release(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Imports Open Loyalty's points-transfer XML. The upload is spooled to a temp file while a first
 * streaming pass checks the whole document (well-formed, no DOCTYPE, the expected elements), so a
 * refused document writes nothing; a second streaming pass applies the items, CONCURRENCY at a
 * time, and spools each item's result as JSON text. Memory stays flat in the document's size:
 * neither the document nor the results are held, and the response streams from the spool.
 */
@Injectable()
export class PointsImportService {
  constructor(
    private readonly bulk: BulkPoints,
    @Inject(ENGINE_TELEMETRY) private readonly telemetry: EngineTelemetry,
  ) {}

  /**
   * Copies `upload` to a temp file, checking it on the way (throws XmlDocumentRefused) and taking
   * its sha256, then hands `work` the digest and the import of that file into `store`, which `work`
   * may run or not (an idempotent replay). The temp folder goes with the import's answer (its
   * `release`) when the import ran, and right away otherwise or when anything throws.
   */
  async spoolAndCheck<T>(store: StoreRecord, upload: Readable, work: (sha256: string, apply: () => Promise<ImportResponseBody>) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(process.env.LOYALTY_IMPORT_SPOOL_DIR || tmpdir(), 'points-import-'));
    const file = join(dir, 'points.xml');
    try {
      const reader = new PointsTransferXmlReader({ checkOnly: true });
      const decoder = new StringDecoder('utf8');
      const digest = createHash('sha256');
      const check = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          try {
            digest.update(chunk);
            reader.write(decoder.write(chunk));
            done(null, chunk);
          } catch (error) {
            done(error as Error);
          }
        },
        flush(done) {
          try {
            reader.write(decoder.end());
            reader.end();
            done();
          } catch (error) {
            done(error as Error);
          }
        },
      });
      await pipeline(upload, check, createWriteStream(file));
      let applied = false;
      const result = await work(digest.digest('hex'), () => {
        applied = true;
        return this.apply(store, file, dir);
      });
      if (!applied) await rm(dir, { recursive: true, force: true });
      return result;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Applies the checked document `file` through BulkPoints; the results are spooled into `dir`. */
  async apply(store: StoreRecord, file: string, dir: string): Promise<ImportResponseBody> {
    const itemsFile = join(dir, 'items.json');
    const out = createWriteStream(itemsFile);
    // identifiers of the items handed to BulkPoints whose results have not come back yet, in order
    const identifiers: string[] = [];
    let written = 0;
    async function* items(): AsyncGenerator<BulkItem | RefusedBulkItem> {
      const reader = new PointsTransferXmlReader();
      const decoder = new StringDecoder('utf8');
      const checked = (item: ImportedTransferItem) => {
        const { identifier, entry } = bulkItemOf(item);
        identifiers.push(identifier);
        return entry;
      };
      for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
        for (const item of reader.write(decoder.write(chunk as Buffer))) yield checked(item);
      }
      for (const item of [...reader.write(decoder.end()), ...reader.end()]) yield checked(item);
    }
    try {
      const totals = await this.bulk.apply(
        { tenant: store.tenant, storeCode: store.storeCode },
        items(),
        async (results) => {
          let text = '';
          for (const result of results) text += `${written++ ? ',' : ''}${JSON.stringify(importResult(identifiers.shift() as string, result))}`;
          const applied = results.filter((result) => result.status === 'applied').length;
          this.telemetry.importItems('success', applied);
          this.telemetry.importItems('failed', results.length - applied);
          await write(out, text);
        },
        { itemScope: 'import' },
      );
      return new ImportResponseBody(dir, itemsFile, { totalProcessed: totals.processed, totalSuccess: totals.applied, totalFailed: totals.refused });
    } finally {
      out.end();
      await once(out, 'close');
    }
  }
}

/** An XML item as a bulk item, or the reason it is refused before it reaches the ledger. */
function bulkItemOf(item: ImportedTransferItem): { identifier: string; entry: BulkItem | RefusedBulkItem } {
  const reference = customerReference(item);
  const { points: rawPoints = '', type = '' } = item.fields;
  const identifier = `${reference?.[1] ?? ''}/(${type} ${rawPoints})`;
  try {
    if (item.problem) throw new ItemRefused(item.problem);
    if (!reference) throw new ItemRefused(`one of ${CUSTOMER_REFERENCES.map(([element]) => `<${element}>`).join(', ')} is required`);
    if (type !== 'adding' && type !== 'spending') throw new ItemRefused('<type> must be adding or spending');
    const points = parsePoints(rawPoints);
    const comment = item.fields.comment || undefined;
    if (comment && comment.length > 255) throw new ItemRefused('<comment> must be at most 255 characters');
    const validityDays = validity(item.fields.validityDuration);
    const [by, value] = reference;
    const operation: BulkOperation =
      type === 'adding'
        ? { type: 'add', points, details: { ...(comment ? { comment } : {}), ...(validityDays ? { validityDays } : {}) } }
        : { type: 'spend', points, details: comment ? { comment } : {} };
    return { identifier, entry: { customer: { by, value }, operation } };
  } catch (error) {
    if (error instanceof ItemRefused || error instanceof InvalidPointsError) return { identifier, entry: { refused: error.message } };
    throw error;
  }
}

function importResult(identifier: string, result: BulkResult): ImportItemResult {
  return result.status === 'applied'
    ? { status: 'success', processImportResult: { object: { pointsTransferId: result.transferId as string } }, identifier }
    : { status: 'failed', identifier, message: result.message };
}

function customerReference(item: ImportedTransferItem): [CustomerReference['by'], string] | undefined {
  for (const [element, field] of CUSTOMER_REFERENCES) {
    const value = item.fields[element];
    if (value) return [field, value];
  }
  return undefined;
}

function validity(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 36500) throw new ItemRefused('<validityDuration> must be a whole number of days from 1 to 36500');
  return Number(raw);
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
