import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '@app/event-store';
import { WrongExpectedRevisionError } from '@app/event-store';
import { randomUUID } from 'node:crypto';
import { Clock, DEFAULT_STORE_SETTINGS, parseStoreSettings, sameStoreSettings, StoreSettings } from '@app/ledger';
import { metadataFor } from './request-context';
import { CLOCK, EVENT_STORE } from './tokens';

/** Store settings are events too (stream storeSettings-<tenant>:<storeCode>): audited and shared by every replica. */
export const STORE_SETTINGS_CHANGED = 'StoreSettingsChanged';

const CACHE_MS = 1_000;

@Injectable()
export class StoreSettingsService {
  private readonly cache = new Map<string, { settings: StoreSettings; revision: number; readAt: number }>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  static streamFor(tenant: string, storeCode: string): string {
    return `storeSettings-${tenant}:${storeCode}`;
  }

  async get(tenant: string, storeCode: string): Promise<StoreSettings> {
    return (await this.load(tenant, storeCode, true)).settings;
  }

  /** Lays `changes` (a partial, validated by the ledger's rules) over the current settings; appends only when they differ. */
  async change(tenant: string, storeCode: string, changes: unknown): Promise<StoreSettings> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.load(tenant, storeCode, false);
      const settings = parseStoreSettings(changes, current.settings);
      // no change, no event: the stream records decisions, not requests
      if (sameStoreSettings(settings, current.settings)) return current.settings;
      try {
        const result = await this.store.appendToStream(
          StoreSettingsService.streamFor(tenant, storeCode),
          [{ id: randomUUID(), type: STORE_SETTINGS_CHANGED, data: { settings, changedAt: this.clock.now().toISOString() }, metadata: { ...metadataFor(tenant, storeCode) } }],
          { expectedRevision: current.revision < 0 ? 'no_stream' : current.revision },
        );
        this.cache.set(`${tenant}:${storeCode}`, { settings, revision: result.nextExpectedRevision, readAt: Date.now() });
        return settings;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 5) throw error;
      }
    }
  }

  private async load(tenant: string, storeCode: string, cached: boolean) {
    const key = `${tenant}:${storeCode}`;
    const hit = this.cache.get(key);
    // wall time, not the domain clock: this only bounds how stale another replica's change may look
    if (cached && hit && Date.now() - hit.readAt < CACHE_MS) return hit;
    const events = await this.store.readStream(StoreSettingsService.streamFor(tenant, storeCode));
    const last = events[events.length - 1];
    const loaded = {
      settings: last ? (last.data as { settings: StoreSettings }).settings : { ...DEFAULT_STORE_SETTINGS },
      revision: last ? last.revision : -1,
      readAt: Date.now(),
    };
    this.cache.set(key, loaded);
    return loaded;
  }
}
