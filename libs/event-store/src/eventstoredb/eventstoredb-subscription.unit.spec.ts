import { AllStreamResolvedEvent, AllStreamSubscription } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { START } from '../event-store.port';
import { EventStoreDbSubscription } from './eventstoredb-subscription';

/**
 * The client's subscription is an object-mode Readable; with no server here, a PassThrough
 * plays the gRPC side so the batching and close/resume rules can be checked.
 */
function serverSide(): { readable: PassThrough; subscription: AllStreamSubscription; push(position: number): void } {
  const readable = new PassThrough({ objectMode: true });
  const subscription = Object.assign(readable, {
    unsubscribe: async () => {
      readable.destroy();
    },
  }) as unknown as AllStreamSubscription;
  const push = (position: number): void => {
    const resolved: AllStreamResolvedEvent = {
      event: {
        streamId: 'pointsAccount-t1:s1:c1',
        id: randomUUID(),
        isJson: true,
        revision: BigInt(position),
        type: 'PointsAdded',
        created: new Date(),
        data: { points: '1.00' },
        metadata: {},
        position: { commit: BigInt(position), prepare: BigInt(position) },
      },
      commitPosition: BigInt(position),
    };
    readable.write(resolved);
  };
  return { readable, subscription, push };
}

function positions(batch: IteratorResult<{ position: number }[]>): number[] {
  if (batch.done) throw new Error('subscription ended');
  return batch.value.map((event) => event.position);
}

describe('EventStoreDbSubscription', () => {
  it('hands over what has arrived as batches of at most batchSize, then waits for the next event', async () => {
    const server = serverSide();
    const iterator = new EventStoreDbSubscription(server.subscription, START, 2)[Symbol.asyncIterator]();
    [10, 20, 30].forEach(server.push);
    await new Promise(setImmediate);

    expect(positions(await iterator.next())).toEqual([10, 20]);
    expect(positions(await iterator.next())).toEqual([30]);
    const waiting = iterator.next();
    server.push(40);
    expect(positions(await waiting)).toEqual([40]);
  });

  it('skips the checkpoint event itself when resuming', async () => {
    const server = serverSide();
    const iterator = new EventStoreDbSubscription(server.subscription, 20, 10)[Symbol.asyncIterator]();

    [20, 30].forEach(server.push);

    expect(positions(await iterator.next())).toEqual([30]);
  });

  it('ends a pending next() on close', async () => {
    const server = serverSide();
    const subscription = new EventStoreDbSubscription(server.subscription, START, 10);
    const pending = subscription[Symbol.asyncIterator]().next();

    await subscription.close();

    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(server.readable.destroyed).toBe(true);
  });

  it('passes a subscription failure to the reader', async () => {
    const server = serverSide();
    const pending = new EventStoreDbSubscription(server.subscription, START, 10)[Symbol.asyncIterator]().next();

    server.readable.destroy(new Error('connection lost'));

    await expect(pending).rejects.toThrow('connection lost');
  });

  it('closes without rejecting when the call never started (cluster discovery failed)', async () => {
    const server = serverSide();
    Object.assign(server.subscription, { unsubscribe: () => Promise.reject(new Error('failed to discover the cluster')) });
    const subscription = new EventStoreDbSubscription(server.subscription, START, 10);
    const pending = subscription[Symbol.asyncIterator]().next();

    await expect(subscription.close()).resolves.toBeUndefined();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });

  it('serves two pending next() calls one after the other, each with its own batch', async () => {
    const server = serverSide();
    const iterator = new EventStoreDbSubscription(server.subscription, START, 1)[Symbol.asyncIterator]();
    const first = iterator.next();
    const second = iterator.next();

    server.push(10);
    server.push(20);

    expect(positions(await first)).toEqual([10]);
    expect(positions(await second)).toEqual([20]);
  });

  it('ends every pending next() on close', async () => {
    const server = serverSide();
    const subscription = new EventStoreDbSubscription(server.subscription, START, 10);
    const iterator = subscription[Symbol.asyncIterator]();
    const pending = [iterator.next(), iterator.next()];

    await subscription.close();

    await expect(Promise.all(pending)).resolves.toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
  });
});
