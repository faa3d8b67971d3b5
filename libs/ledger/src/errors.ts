/**
 * Business-rule refusals of the ledger. `code` is stable (dialects map it to their own error
 * formats), `httpStatus` is a hint for the HTTP shell: 404 unknown thing, 409 state conflict,
 * 422 rule broken by the request itself.
 */
export const LEDGER_ERROR_STATUS = {
  account_not_found: 404,
  customer_not_found: 404,
  transfer_not_found: 404,
  account_closed: 409,
  customer_exists: 409,
  transfer_already_exists: 409,
  transfer_already_cancelled: 409,
  transfer_not_pending: 409,
  transfer_not_active: 409,
  transfer_expired: 409,
  insufficient_points: 422,
  p2p_not_cancellable: 422,
  p2p_to_self: 422,
  p2p_not_allowed: 422,
  invalid_points: 422,
  invalid_lot_dates: 422,
  invalid_settings: 422,
  invalid_customer_id: 422,
} as const;

export type LedgerErrorCode = keyof typeof LEDGER_ERROR_STATUS;
export type LedgerHttpStatus = (typeof LEDGER_ERROR_STATUS)[LedgerErrorCode];

export class LedgerError extends Error {
  readonly httpStatus: LedgerHttpStatus;

  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    /** machine-readable context for the response (e.g. available and requested points) */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'LedgerError';
    this.httpStatus = LEDGER_ERROR_STATUS[code];
  }
}

export function isLedgerError(error: unknown, code?: LedgerErrorCode): error is LedgerError {
  return error instanceof LedgerError && (code === undefined || error.code === code);
}
