import type { Decider } from '../src/decider';
import { LedgerError, type LedgerErrorCode } from '../src/errors';

/**
 * Given/when/then for a decider, after emmett's DeciderSpecification: `given` past events,
 * `when` a command, `then` the exact events decided, or `thenThrows` the domain error code.
 */
export const DeciderSpecification = {
  for<State, Command, Event>(decider: Decider<State, Command, Event>) {
    return {
      given(events: readonly Event[]) {
        const state = () => events.reduce(decider.evolve, decider.initialState());
        return {
          when(command: Command) {
            const decided = () => decider.decide(command, state());
            return {
              then(expected: readonly Event[]): void {
                expect(decided()).toEqual(expected);
              },
              /** asserts on the state after the decided events are folded in */
              thenState(assert: (after: State, events: Event[]) => void): void {
                const events = decided();
                assert(events.reduce(decider.evolve, state()), events);
              },
              thenThrows(code: LedgerErrorCode, assert?: (error: LedgerError) => void): void {
                let thrown: unknown;
                try {
                  decider.decide(command, state());
                } catch (error) {
                  thrown = error;
                }
                expect(thrown).toBeInstanceOf(LedgerError);
                expect((thrown as LedgerError).code).toBe(code);
                assert?.(thrown as LedgerError);
              },
            };
          },
        };
      },
    };
  },
};
