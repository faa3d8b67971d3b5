/**
 * The ids a rebuild has inserted into one shadow table, as a Bloom filter: `surelyAbsent(id)` is true
 * only for an id never added, so a replay can skip the primary-key lookup of a document it is about to
 * create (most of a replay's documents are new). A false "maybe" only costs that lookup. Grows by
 * layers, each twice the last and at most 0.24% false when full: about 1% of absent ids get a "maybe"
 * at a million ids.
 */
export class InsertedIds {
  private readonly layers: FilterLayer[] = [];

  constructor(private readonly firstCapacity = 1 << 16) {}

  add(id: string): void {
    let layer = this.layers[this.layers.length - 1];
    if (!layer || layer.count >= layer.capacity) {
      layer = new FilterLayer(layer ? layer.capacity * 2 : this.firstCapacity);
      this.layers.push(layer);
    }
    const [h1, h2] = hashes(id);
    layer.add(h1, h2);
  }

  surelyAbsent(id: string): boolean {
    const [h1, h2] = hashes(id);
    return !this.layers.some((layer) => layer.has(h1, h2));
  }
}

/** 16 bits and 4 probes per id at capacity: about 0.24% false positives */
const BITS_PER_ID = 16;
const PROBES = 4;

class FilterLayer {
  readonly bits: Uint32Array;
  private readonly mask: number;
  count = 0;

  constructor(readonly capacity: number) {
    // a power of two of bits, so a probe is a mask rather than a modulo
    let words = 1;
    while (words * 32 < capacity * BITS_PER_ID) words *= 2;
    this.bits = new Uint32Array(words);
    this.mask = words * 32 - 1;
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
    this.count++;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two independent 32-bit hashes of the id's UTF-16 code units (FNV-1a and a murmur3-style mix), for double hashing. */
function hashes(id: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b ^= b >>> 13;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  // an odd step visits distinct bits on every probe
  return [a >>> 0, (b | 1) >>> 0];
}
