import type { Decider } from '../decider';
import type { PointsAccountEvent } from '../events';
import type { PointsAccountCommand } from './commands';
import { decide } from './decide';
import { evolve, initialState, type PointsAccountState } from './fold';

export * from './commands';
export * from './decide';
export * from './fold';

/** The points account aggregate as one emmett decider, for the command handler and the tests. */
export const pointsAccountDecider: Decider<PointsAccountState, PointsAccountCommand, PointsAccountEvent> = {
  decide,
  evolve,
  initialState,
};
