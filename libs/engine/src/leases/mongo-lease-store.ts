import type { Collection, Db } from 'mongodb';
import type { Lease, LeaseStore, LeaseTime } from './lease.port';

/** One term of a lease: who held it from when it was taken until expiresAt. */
interface LeaseTerm {
  /** `<name>#<term>`: the unique key is what makes taking a term a compare-and-set */
  _id: string;
  name: string;
  term: number;
  holder: string;
  expiresAt: number;
}

const DUPLICATE_KEY = 11000;

/**
 * The distributed profile's leases, in the MongoDB read store every process shares (whichever event
 * store it uses). Taking or renewing a lease inserts its next term; the insert of a given `_id`
 * succeeds once, so of two processes that both saw the last term expired only one gets the next.
 * A filtered updateOne would not do: FerretDB finds and then updates, so two updates whose filters
 * both match an expired lease can both succeed (the lease contract test catches exactly that).
 */
export class MongoLeaseStore implements LeaseStore {
  constructor(private readonly db: Db, private readonly now: LeaseTime = Date.now) {}

  private get terms(): Collection<LeaseTerm> {
    return this.db.collection<LeaseTerm>('leases');
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const last = await this.lastTerm(name);
    if (last && last.holder !== holder && last.expiresAt > now) return false;
    const term = (last?.term ?? 0) + 1;
    try {
      await this.terms.insertOne({ _id: termId(name, term), name, term, holder, expiresAt: now + ttlMs });
    } catch (error) {
      // another process took this term first (or we renewed twice at once): the other one holds it
      if ((error as { code?: number }).code === DUPLICATE_KEY) return false;
      throw error;
    }
    // only the newest term counts; the older ones are history
    await this.terms.deleteMany({ name, term: { $lt: term } });
    return true;
  }

  async release(name: string, holder: string): Promise<void> {
    const last = await this.lastTerm(name);
    // ending our own term early can only shorten what we hold, so a plain update is enough
    if (last?.holder === holder) await this.terms.updateOne({ _id: last._id, holder }, { $set: { expiresAt: this.now() } });
  }

  async current(name: string): Promise<Lease | undefined> {
    const last = await this.lastTerm(name);
    return last ? { name, holder: last.holder, expiresAt: last.expiresAt } : undefined;
  }

  private async lastTerm(name: string): Promise<LeaseTerm | undefined> {
    const [last] = await this.terms.find({ name }).sort({ term: -1 }).limit(1).toArray();
    return last;
  }
}

function termId(name: string, term: number): string {
  return `${name}#${term}`;
}
