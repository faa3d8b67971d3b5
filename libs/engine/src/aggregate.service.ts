import { randomUUID } from 'node:crypto';
import { EventStore, NewEvent, StoredEvent, WrongExpectedRevisionError } from '@app/event-store';
import type { Decider } from '@app/ledger';
import { deterministicUuid } from './ids';
import { StreamLocks } from './stream-locks';

export interface Loaded<State> {
  state: State;
  /** revision of the last event folded, -1 for a stream that does not exist */
  revision: number;
}

export interface Decided<Event, State> extends Loaded<State> {
  events: Event[];
  /** global position of the last appended event, undefined when nothing was appended */
  position?: number;
}

export interface AggregateServiceOptions<Command = unknown> {
  /** re-decisions on fresh state after another writer won the race */
  maxConflictRetries?: number;
  /** folded states kept in memory; a cached state is brought up to date from its revision */
  cacheSize?: number;
  /** told of each append's duration and each re-decision after a conflict (metrics) */
  observer?: AggregateObserver<Command>;
}

export interface AggregateObserver<Command> {
  appended(seconds: number): void;
  conflictRetried(command: Command | ((state: never) => Command)): void;
}

/**
 * Load (fold the stream), decide, append with the expected revision. Nothing else.
 * Conflicts from other processes are retried on fresh state, a bounded number of times.
 */
export class AggregateService<Command, Event extends { type: string; data: unknown }, State> {
  private readonly locks = new StreamLocks();
  private readonly cache = new Map<string, Loaded<State>>();
  private readonly maxConflictRetries: number;
  private readonly cacheSize: number;
  private readonly observer?: AggregateObserver<Command>;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<State, Command, Event>,
    options: AggregateServiceOptions<Command> = {},
  ) {
    this.observer = options.observer;
    this.maxConflictRetries = options.maxConflictRetries ?? 25;
    // enough for the hot accounts of a busy store; folded states are cheap to rebuild from their streams
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  async load(streamId: string): Promise<Loaded<State>> {
    const cached = this.cache.get(streamId);
    const from = cached ? cached.revision + 1 : 0;
    const newer = await this.store.readStream(streamId, { fromRevision: from });
    let { state, revision } = cached ?? { state: this.decider.initialState(), revision: -1 };
    for (const stored of newer) {
      state = this.decider.evolve(state, { type: stored.type, data: stored.data } as Event);
      revision = stored.revision;
    }
    return { state, revision };
  }

  /**
   * Decides `command` on the current state and appends what it yields. `idempotency`, when given,
   * makes event ids derive from the key's scope; on a takeover after a crash, events already stored
   * under that scope are returned instead of deciding again.
   */
  handle(
    streamId: string,
    command: Command | ((state: State) => Command),
    metadata: Record<string, unknown>,
    idempotency?: { scope: string; takeover: boolean },
  ): Promise<Decided<Event, State>> {
    const eventIdScope = idempotency?.scope;
    return this.locks.run(streamId, async () => {
      if (eventIdScope && idempotency.takeover) {
        const applied = await this.alreadyApplied(streamId, eventIdScope);
        if (applied) return applied;
      }
      for (let attempt = 0; ; attempt++) {
        let loaded = attempt === 0 ? this.cache.get(streamId) : undefined;
        let events = loaded ? this.decideOnRemembered(command, loaded.state) : undefined;
        if (!loaded || !events) {
          loaded = await this.load(streamId);
          events = this.decide(command, loaded.state);
        }
        if (events.length === 0) {
          this.remember(streamId, loaded);
          return { ...loaded, events };
        }
        const toAppend: NewEvent[] = events.map((event, index) => ({
          id: eventIdScope ? deterministicUuid(eventIdScope, `${streamId}#${index}`) : randomUUID(),
          type: event.type,
          data: event.data,
          metadata,
        }));
        try {
          const appendStarted = performance.now();
          const result = await this.store.appendToStream(streamId, toAppend, {
            expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision,
          });
          this.observer?.appended((performance.now() - appendStarted) / 1000);
          const state = events.reduce((s, e) => this.decider.evolve(s, e), loaded.state);
          const next = { state, revision: result.nextExpectedRevision };
          this.remember(streamId, next);
          return { ...next, events, position: result.position };
        } catch (error) {
          this.cache.delete(streamId);
          if (!(error instanceof WrongExpectedRevisionError) || attempt >= this.maxConflictRetries) throw error;
          this.observer?.conflictRetried(command);
          // another process appended first: back off a little, then decide again on its result
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
        }
      }
    });
  }

  private decide(command: Command | ((state: State) => Command), state: State): Event[] {
    const concrete = typeof command === 'function' ? (command as (state: State) => Command)(state) : command;
    return this.decider.decide(concrete, state);
  }

  /**
   * Decides on the state remembered from this process's last append, without reading the stream:
   * it is current unless another process appended since, and then the append's expected revision
   * is refused and the command decided again on what the stream holds. A refusal or a decision to
   * do nothing could rest on such a stale state without any append to catch it, so those answer
   * undefined and are decided again on the stream.
   */
  private decideOnRemembered(command: Command | ((state: State) => Command), state: State): Event[] | undefined {
    try {
      const events = this.decide(command, state);
      return events.length > 0 ? events : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A retried idempotent request whose events were stored before a crash: answer with those
   * events instead of deciding again on a state that already contains them.
   */
  private async alreadyApplied(streamId: string, scope: string): Promise<Decided<Event, State> | undefined> {
    const firstId = deterministicUuid(scope, `${streamId}#0`);
    const stored = await this.store.readStream(streamId);
    const index = stored.findIndex((e) => e.id === firstId);
    if (index < 0) return undefined;
    const ours: StoredEvent[] = [];
    for (let k = 0; stored[index + k]?.id === deterministicUuid(scope, `${streamId}#${k}`); k++) ours.push(stored[index + k]);
    const last = stored[stored.length - 1];
    return {
      state: this.fold(stored),
      revision: last.revision,
      events: ours.map((e) => ({ type: e.type, data: e.data }) as Event),
      position: ours[ours.length - 1].position,
    };
  }

  /** Folds stored events without touching the cache (used by tests and audits). */
  fold(events: StoredEvent[]): State {
    return events.reduce((s, e) => this.decider.evolve(s, { type: e.type, data: e.data } as Event), this.decider.initialState());
  }

  private remember(streamId: string, loaded: Loaded<State>): void {
    this.cache.delete(streamId);
    this.cache.set(streamId, loaded);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
  }
}
