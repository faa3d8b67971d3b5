import { WrongExpectedRevisionError } from './event-store.port';
import { assertExpectedRevision, validateExpectedRevision } from './expected-revision';

describe('expected revision', () => {
  it('accepts any current revision, or none, when the append expects any', () => {
    expect(() => assertExpectedRevision('s', 'any', undefined)).not.toThrow();
    expect(() => assertExpectedRevision('s', 'any', 12)).not.toThrow();
  });

  it('accepts no_stream only while the stream does not exist', () => {
    expect(() => assertExpectedRevision('s', 'no_stream', undefined)).not.toThrow();
    expect(() => assertExpectedRevision('s', 'no_stream', 0)).toThrow(new WrongExpectedRevisionError('s', 'no_stream', 0));
  });

  it('accepts an exact revision only when it is the current one', () => {
    expect(() => assertExpectedRevision('s', 3, 3)).not.toThrow();
    expect(() => assertExpectedRevision('s', 3, 4)).toThrow(WrongExpectedRevisionError);
    expect(() => assertExpectedRevision('s', 0, undefined)).toThrow(new WrongExpectedRevisionError('s', 0, 'no_stream'));
  });

  it('refuses revisions no stream can have', () => {
    expect(() => validateExpectedRevision(-1)).toThrow(RangeError);
    expect(() => validateExpectedRevision(0.5)).toThrow(RangeError);
    expect(() => validateExpectedRevision(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
    expect(() => validateExpectedRevision(0)).not.toThrow();
  });
});
