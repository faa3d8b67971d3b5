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
import { currentContext, ENGINE_TELEMETRY, EngineTelemetry, PointsService, ProgressTracker, READ_MODELS, runInContext, StreamedBody } from '@app/engine';
import { InvalidPointsError, isLedgerError, parsePoints } from '@app/ledger';
import type { CustomerLookupField, ReadModelQueries } from '@app/read-models';
import type { StoreRecord } from '@app/auth';
import { ID_PATTERN } from '../../http/points.validator';
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

/** Where an item names its customer, in the order they are tried, and the customers-view field each one matches. */
const CUSTOMER_REFERENCES: ReadonlyArray<[element: string, field: CustomerLookupField]> = [
  ['customerId', 'customerId'],
  ['customerEmail', 'email'],
  ['customerPhoneNumber', 'phone'],
  ['customerLoyaltyCardNumber', 'loyaltyCardNumber'],
];
/** items applied at once; items naming the same customer still run in document order */
const CONCURRENCY = 32;
/** items after which the import waits for the projections to catch up with what it appended */
const CATCH_UP_EVERY = 1024;
/** the response is read back from its spool file in chunks of this many bytes */
const RESPONSE_CHUNK_BYTES = 256 * 1024;

class ItemRefused extends Error {}

interface CheckedItem {
  identifier: string;
  customerId: string;
  type: 'adding' | 'spending';
  points: number;
  comment?: string;
  validityDays?: number;
}

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
    private readonly points: PointsService,
    private readonly progress: ProgressTracker,
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
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

  /** Applies the checked document `file`; the results are spooled into `dir`. */
  async apply(store: StoreRecord, file: string, dir: string): Promise<ImportResponseBody> {
    // read-your-writes: customers registered just before the import are found
    await this.progress.caughtUp();
    const reader = new PointsTransferXmlReader();
    const decoder = new StringDecoder('utf8');
    const itemsFile = join(dir, 'items.json');
    const out = createWriteStream(itemsFile);
    let totalProcessed = 0;
    let totalSuccess = 0;
    let batch: ImportedTransferItem[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const results = await this.applyBatch(store, batch);
      batch = [];
      let text = '';
      const successBefore = totalSuccess;
      for (const result of results) {
        text += `${totalProcessed++ ? ',' : ''}${JSON.stringify(result)}`;
        if (result.status === 'success') totalSuccess++;
      }
      this.telemetry.importItems('success', totalSuccess - successBefore);
      this.telemetry.importItems('failed', results.length - (totalSuccess - successBefore));
      await write(out, text);
      // keep the read models close behind: the projector then works in small batches instead of
      // catching up on thousands of events at once while the import keeps appending
      if (totalProcessed % CATCH_UP_EVERY < CONCURRENCY) await this.progress.caughtUp();
    };
    try {
      for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
        for (const item of reader.write(decoder.write(chunk as Buffer))) {
          batch.push(item);
          if (batch.length >= CONCURRENCY) await flush();
        }
      }
      batch.push(...reader.write(decoder.end()), ...reader.end());
      await flush();
    } finally {
      out.end();
      await once(out, 'close');
    }
    return new ImportResponseBody(dir, itemsFile, { totalProcessed, totalSuccess, totalFailed: totalProcessed - totalSuccess });
  }

  /** Runs a batch; items for the same customer (however they name it) run one after another, in document order. */
  private async applyBatch(store: StoreRecord, batch: readonly ImportedTransferItem[]): Promise<ImportItemResult[]> {
    const checked = await Promise.all(batch.map((item) => this.check(store, item)));
    const results: ImportItemResult[] = new Array(batch.length);
    const lanes = new Map<string, number[]>();
    checked.forEach((outcome, i) => {
      if ('status' in outcome) results[i] = outcome;
      else lanes.set(outcome.customerId, [...(lanes.get(outcome.customerId) ?? []), i]);
    });
    await Promise.all(
      [...lanes.values()].map(async (lane) => {
        for (const i of lane) results[i] = await this.applyItem(store, batch[i], checked[i] as CheckedItem);
      }),
    );
    return results;
  }

  /** Validates an item and finds its customer; a refusal is the item's result. */
  private async check(store: StoreRecord, item: ImportedTransferItem): Promise<CheckedItem | ImportItemResult> {
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
      const customerId = await this.resolveCustomer(store, reference);
      return { identifier, customerId, type, points, comment, validityDays };
    } catch (error) {
      if (error instanceof ItemRefused || error instanceof InvalidPointsError) return { status: 'failed', identifier, message: error.message };
      throw error;
    }
  }

  private async applyItem(store: StoreRecord, item: ImportedTransferItem, checked: CheckedItem): Promise<ImportItemResult> {
    const { identifier, customerId, type, points, comment, validityDays } = checked;
    const account = { tenant: store.tenant, storeCode: store.storeCode, customerId };
    try {
      const { transferId } = await this.inItemContext(item, () =>
        type === 'adding'
          ? this.points.addPoints(account, points, { ...(comment ? { comment } : {}), ...(validityDays ? { validityDays } : {}) })
          : this.points.spendPoints(account, points, comment ? { comment } : {}),
      );
      return { status: 'success', processImportResult: { object: { pointsTransferId: transferId } }, identifier };
    } catch (error) {
      // a business refusal (e.g. insufficient points) fails this item only
      if (isLedgerError(error)) return { status: 'failed', identifier, message: error.message };
      throw error;
    }
  }

  /** Each item gets its own idempotency scope, so a keyed import retried after a crash stores every item once. */
  private inItemContext<T>(item: ImportedTransferItem, work: () => Promise<T>): Promise<T> {
    const context = currentContext();
    return runInContext({ ...context, ...(context.idempotencyScope ? { idempotencyScope: `${context.idempotencyScope}/import/${item.index}` } : {}) }, work);
  }

  private async resolveCustomer(store: StoreRecord, [field, value]: [CustomerLookupField, string]): Promise<string> {
    if (field === 'customerId') {
      if (!ID_PATTERN.test(value)) throw new ItemRefused('<customerId> must be 1-128 letters, digits or . _ @ + -');
      return value;
    }
    const found = await this.views.customers.findBy(store.tenant, store.storeCode, field, value);
    if (!found) throw new ItemRefused(`no customer with ${field} ${value} in store ${store.storeCode}`);
    return found.customerId;
  }
}

function customerReference(item: ImportedTransferItem): [CustomerLookupField, string] | undefined {
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
