import { ManualClock } from '@app/ledger/clock';
import { DEFAULT_FAILURE_BACKOFF, FailedAuthentications } from './failed-authentications';

describe('failed client authentications', () => {
  const policy = { ...DEFAULT_FAILURE_BACKOFF, freeFailures: 3, firstDelayMs: 1_000, maxDelayMs: 8_000, forgetAfterMs: 60_000, maxSubjects: 3 };
  const fail = (failures: FailedAuthentications, subject: string, times: number) => {
    for (let i = 0; i < times; i += 1) failures.failed(subject);
  };

  it('the first failures cost nothing, then each one doubles the wait, up to the cap', () => {
    const failures = new FailedAuthentications(new ManualClock(), policy);
    fail(failures, 'client:a', 2);
    expect(failures.waitMs('client:a')).toBe(0);
    failures.failed('client:a');
    expect(failures.waitMs('client:a')).toBe(1_000);
    failures.failed('client:a');
    expect(failures.waitMs('client:a')).toBe(2_000);
    fail(failures, 'client:a', 5);
    expect(failures.waitMs('client:a')).toBe(8_000);
  });

  it('one subject waiting leaves every other subject free', () => {
    const failures = new FailedAuthentications(new ManualClock(), policy);
    fail(failures, 'client:a', 6);
    expect(failures.waitMs('client:b')).toBe(0);
    expect(failures.waitMs('address:127.0.0.1')).toBe(0);
  });

  it('the wait runs out with time, a success forgets the failures, and so does a quiet spell', () => {
    const clock = new ManualClock();
    const failures = new FailedAuthentications(clock, policy);
    fail(failures, 'client:a', 4);
    clock.advance(1_500);
    expect(failures.waitMs('client:a')).toBe(500);
    clock.advance(500);
    expect(failures.waitMs('client:a')).toBe(0);
    failures.succeeded('client:a');
    failures.failed('client:a');
    expect(failures.waitMs('client:a')).toBe(0);

    fail(failures, 'client:b', 5);
    clock.advance(60_000);
    failures.failed('client:b');
    expect(failures.waitMs('client:b')).toBe(0);
  });

  it('remembers a bounded number of subjects, forgetting the oldest first', () => {
    const failures = new FailedAuthentications(new ManualClock(), policy);
    for (const subject of ['s1', 's2', 's3', 's4']) fail(failures, subject, 4);
    expect(failures.waitMs('s1')).toBe(0);
    expect(failures.waitMs('s4')).toBe(2_000);
  });
});
