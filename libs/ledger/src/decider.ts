/** emmett's Decider: an aggregate as three pure functions over plain readonly objects. */
export interface Decider<State, Command, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** Command<'AddPoints', {...}>: a plain readonly object with a literal type, like Event. */
export type Command<Type extends string, Data> = Readonly<{ type: Type; data: Readonly<Data> }>;
