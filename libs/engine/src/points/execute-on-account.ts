import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@app/event-store';
import {
  AccountKey,
  isLedgerError,
  pointsAccountDecider,
  PointsAccountCommand,
  PointsAccountEvent,
  PointsAccountState,
  pointsAccountStream,
} from '@app/ledger';
import { AggregateService, Decided } from '../aggregate.service';
import { currentContext, metadataFor } from '../request-context';
import { EVENT_STORE } from '../tokens';
import { ProgressTracker } from '../progress-tracker';
import { ENGINE_TELEMETRY, EngineTelemetry } from '../telemetry';

/** One command for one points account; the handler below is the only writer of account streams. */
export class ExecuteOnPointsAccount {
  constructor(
    readonly account: AccountKey,
    readonly command: PointsAccountCommand,
  ) {}
}

export type AccountDecision = Decided<PointsAccountEvent, PointsAccountState>;

@CommandHandler(ExecuteOnPointsAccount)
export class ExecuteOnPointsAccountHandler implements ICommandHandler<ExecuteOnPointsAccount, AccountDecision> {
  private readonly accounts: AggregateService<PointsAccountCommand, PointsAccountEvent, PointsAccountState>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    private readonly progress: ProgressTracker,
    @Inject(ENGINE_TELEMETRY) private readonly telemetry: EngineTelemetry,
  ) {
    this.accounts = new AggregateService(store, pointsAccountDecider, {
      observer: {
        appended: (seconds) => telemetry.appended(seconds),
        conflictRetried: (command) => telemetry.conflictRetried(typeof command === 'function' ? 'derived' : command.type),
      },
    });
  }

  async execute({ account, command }: ExecuteOnPointsAccount): Promise<AccountDecision> {
    const context = currentContext();
    const idempotency = context.idempotencyScope
      ? { scope: context.idempotencyScope, takeover: Boolean(context.idempotencyTakeover) }
      : undefined;
    let decided: AccountDecision;
    try {
      decided = await this.accounts.handle(
        pointsAccountStream(account),
        command,
        { ...metadataFor(account.tenant, account.storeCode, context) },
        idempotency,
      );
    } catch (error) {
      this.telemetry.command(command.type, isLedgerError(error) ? 'refused' : 'failed');
      throw error;
    }
    this.telemetry.command(command.type, 'accepted');
    if (decided.position !== undefined) this.progress.appended(decided.position);
    return decided;
  }

  /** The account as its events fold today (for reads that must not wait for projections). */
  load(account: AccountKey) {
    return this.accounts.load(pointsAccountStream(account));
  }
}
