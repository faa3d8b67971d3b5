import { SaxesParser } from 'saxes';

/** One `<pointsTransfer>` as read: its child elements' text, and what made it unreadable, if anything. */
export interface ImportedTransferItem {
  /** 0-based position in the document */
  index: number;
  fields: Record<string, string>;
  problem?: string;
}

/** The document as a whole cannot be imported: answered 400, nothing written. */
export class XmlDocumentRefused extends Error {
  override name = 'XmlDocumentRefused';
}

const ROOT = 'pointsTransfers';
const ITEM = 'pointsTransfer';
/** a field longer than this is no points transfer; keeps one element from holding memory */
const MAX_FIELD_CHARS = 1024;
const MAX_FIELDS = 32;

/**
 * Streams Open Loyalty's points-transfer XML (root `<pointsTransfers>`, items `<pointsTransfer>`
 * with one element per field) through saxes, handing out items as they complete, so a document
 * of any length is read in constant memory. DOCTYPE (and with it every DTD and entity
 * declaration) is refused: saxes reports it before the root element, so before any item.
 */
export class PointsTransferXmlReader {
  private readonly parser = new SaxesParser({ position: true });
  private readonly ready: ImportedTransferItem[] = [];
  private depth = 0;
  private sawRoot = false;
  private item?: ImportedTransferItem;
  private field?: { name: string; text: string };
  private count = 0;

  /**
   * `checkOnly`: the document is checked as a whole (well-formed, no DOCTYPE, the expected
   * elements) but no item is built, which saves the garbage of a first pass over a large file.
   */
  constructor(private readonly options: { checkOnly?: boolean } = {}) {
    this.parser.on('error', (error) => {
      throw new XmlDocumentRefused(`malformed XML: ${error.message}`);
    });
    this.parser.on('doctype', () => {
      throw new XmlDocumentRefused('DOCTYPE, DTDs and entity declarations are not accepted');
    });
    this.parser.on('opentag', (tag) => this.open(tag.name));
    this.parser.on('closetag', () => this.close());
    if (!options.checkOnly) {
      this.parser.on('text', (text) => this.text(text));
      this.parser.on('cdata', (text) => this.text(text));
    }
  }

  /** Feeds a chunk; returns the items it completed. Throws XmlDocumentRefused. */
  write(chunk: string): ImportedTransferItem[] {
    this.parser.write(chunk);
    return this.ready.splice(0);
  }

  /** Ends the document; throws XmlDocumentRefused when it is incomplete or has no root. */
  end(): ImportedTransferItem[] {
    this.parser.close();
    if (!this.sawRoot) throw new XmlDocumentRefused(`the document has no <${ROOT}> root element`);
    return this.ready.splice(0);
  }

  private open(name: string): void {
    this.depth++;
    if (this.depth === 1) {
      if (name !== ROOT) throw new XmlDocumentRefused(`the root element must be <${ROOT}>, not <${name}>`);
      this.sawRoot = true;
    } else if (this.depth === 2) {
      if (name !== ITEM) throw new XmlDocumentRefused(`<${ROOT}> may only hold <${ITEM}> elements, found <${name}>`);
      if (!this.options.checkOnly) this.item = { index: this.count++, fields: {} };
    } else if (this.depth === 3 && this.item) {
      if (Object.keys(this.item.fields).length >= MAX_FIELDS) this.item.problem ??= `more than ${MAX_FIELDS} fields`;
      this.field = { name, text: '' };
    } else if (this.item) {
      this.item.problem ??= `<${name}> may not be nested inside a field`;
    }
  }

  private close(): void {
    if (this.depth === 3 && this.item && this.field) {
      if (!this.item.problem) this.item.fields[this.field.name] = this.field.text.trim();
      this.field = undefined;
    } else if (this.depth === 2 && this.item) {
      this.ready.push(this.item);
      this.item = undefined;
    }
    this.depth--;
  }

  private text(text: string): void {
    if (!this.field || !this.item) return;
    if (this.field.text.length + text.length > MAX_FIELD_CHARS) {
      this.item.problem ??= `<${this.field.name}> is longer than ${MAX_FIELD_CHARS} characters`;
      return;
    }
    this.field.text += text;
  }
}
