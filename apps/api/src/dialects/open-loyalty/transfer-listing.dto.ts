import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { TRANSFER_SORT_FIELDS, TRANSFERS_RESULT_WINDOW } from '@app/engine';
import type { TransferRow, TransferSort } from '@app/engine';
import type { StoreRecord } from '@app/auth';
import { toDecimal } from '@app/ledger';

export const TRANSFER_STATES = ['active', 'pending', 'expired', 'canceled'] as const;
export const TRANSFER_TYPES = ['adding', 'spending', 'p2p_adding', 'p2p_spending', 'blocked'] as const;
export const SORT_COLUMNS = Object.keys(TRANSFER_SORT_FIELDS) as TransferSort[];
export const MAX_PER_PAGE = 500;

/** `state[]=a&state[]=b` (qs gives an array), `state=a` or `state=a,b` -> ['a', 'b']. */
const asList = ({ value }: { value: unknown }): unknown =>
  value === undefined || value === '' ? undefined : (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]));
const upper = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.toUpperCase() : value);

/** What both listings (admin and customer) accept: state, type, page, perPage, sort, direction. */
export class CustomerTransferListQuery {
  @ApiPropertyOptional({ name: 'state[]', description: 'Any of these states (repeat state[]=; a single state= works too)', enum: TRANSFER_STATES, isArray: true })
  @IsOptional()
  @Transform(asList)
  @IsIn(TRANSFER_STATES, { each: true, message: `each state must be one of: ${TRANSFER_STATES.join(', ')}` })
  state?: Array<(typeof TRANSFER_STATES)[number]>;

  @ApiPropertyOptional({ description: 'Transfer type (type[]= for several)', enum: TRANSFER_TYPES })
  @IsOptional()
  @Transform(asList)
  @IsIn(TRANSFER_TYPES, { each: true, message: `must be one of: ${TRANSFER_TYPES.join(', ')}` })
  type?: Array<(typeof TRANSFER_TYPES)[number]>;

  @ApiPropertyOptional({ description: 'Page, from 1', default: 1, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  page?: number;

  @ApiPropertyOptional({ description: 'Transfers per page', default: 10, minimum: 1, maximum: MAX_PER_PAGE })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  @Max(MAX_PER_PAGE, { message: `must be at most ${MAX_PER_PAGE}` })
  perPage?: number;

  @ApiPropertyOptional({ description: 'Column to sort by', enum: SORT_COLUMNS, default: 'createdAt' })
  @IsOptional()
  @IsIn(SORT_COLUMNS, { message: `must be one of: ${SORT_COLUMNS.join(', ')}` })
  sort?: TransferSort;

  @ApiPropertyOptional({ description: 'Sort direction (any case)', enum: ['ASC', 'DESC'], default: 'ASC' })
  @IsOptional()
  @Transform(upper)
  @IsIn(['ASC', 'DESC'], { message: 'must be ASC or DESC' })
  direction?: 'ASC' | 'DESC';
}

export class TransferListQueryDto extends CustomerTransferListQuery {
  @ApiPropertyOptional({ description: 'First name (whole value, any case)' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  customerFirstName?: string;

  @ApiPropertyOptional({ description: 'Last name (whole value, any case)' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  customerLastName?: string;

  @ApiPropertyOptional({ description: 'Phone (exact)' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  customerPhone?: string;

  @ApiPropertyOptional({ description: 'E-mail (any case)' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  customerEmail?: string;

  @ApiPropertyOptional({ description: 'Customer ID' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  customerId?: string;
}

/** The page must start inside Open Loyalty's 10,000-result window. */
export function windowError(page = 1, perPage = 10): string | undefined {
  return (page - 1) * perPage >= TRANSFERS_RESULT_WINDOW
    ? `only the first ${TRANSFERS_RESULT_WINDOW} results can be shown; page ${page} of ${perPage} starts at result ${(page - 1) * perPage + 1} (narrow the filters)`
    : undefined;
}

export class TransferStoreView {
  @ApiProperty({ example: 'DEFAULT' }) code!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
}

export class TransactionRefView {
  @ApiProperty() transactionId!: string;
}

/**
 * One transfer as Open Loyalty lists it. Optional fields the transfer does not have are left out
 * (as the seed's second example leaves out customerPhone), never sent as null.
 */
export class TransferView {
  @ApiProperty({ example: 'ae1c49b1-02ab-4626-982d-71b544b01136' }) pointsTransferId!: string;
  @ApiPropertyOptional() accountId?: string;
  @ApiProperty() customerId!: string;
  @ApiPropertyOptional() customerFirstName?: string;
  @ApiPropertyOptional() customerLastName?: string;
  @ApiPropertyOptional() customerLoyaltyCardNumber?: string;
  @ApiPropertyOptional() customerEmail?: string;
  @ApiPropertyOptional() customerPhone?: string;
  @ApiProperty({ example: '2018-09-13T14:37:33+00:00', description: 'ISO-8601, UTC offset' }) createdAt!: string;
  @ApiPropertyOptional({ example: '2018-10-13T14:37:33+00:00' }) expiresAt?: string;
  @ApiPropertyOptional({ description: 'pending transfers: when they become active' }) activatesAt?: string;
  @ApiProperty({ example: 6.9, description: 'points, up to 2 decimals' }) value!: number;
  @ApiProperty({ enum: TRANSFER_STATES }) state!: string;
  @ApiProperty({ enum: TRANSFER_TYPES }) type!: string;
  @ApiPropertyOptional({ type: TransactionRefView }) transactionId?: TransactionRefView;
  @ApiPropertyOptional() comment?: string;
  @ApiPropertyOptional({ description: "the reason shown to the customer in their own history (the internal reason is never shown)" })
  customerReason?: string;
  @ApiPropertyOptional({ example: 'api', description: 'system, admin, api or customer' }) issuer?: string;
  @ApiProperty({ type: TransferStoreView }) store!: TransferStoreView;
}

export class TransferListResponse {
  @ApiProperty({ type: [TransferView] }) transfers!: TransferView[];
  @ApiProperty({ description: `matching transfers, counted up to ${TRANSFERS_RESULT_WINDOW}` }) total!: number;
}

/** "2018-09-13T14:37:33.000Z" -> "2018-09-13T14:37:33+00:00", the offset style of the seed. */
export function openLoyaltyTime(iso: string): string {
  return iso.replace(/\.\d+Z$|Z$/, '+00:00');
}

export function toTransferView(row: TransferRow, store: StoreRecord): TransferView {
  const optional = <K extends string>(key: K, value: string | null) => (value === null ? {} : ({ [key]: value } as Record<K, string>));
  return {
    pointsTransferId: row.transferId,
    ...optional('accountId', row.accountId),
    customerId: row.customerId,
    ...optional('customerFirstName', row.firstName),
    ...optional('customerLastName', row.lastName),
    ...optional('customerLoyaltyCardNumber', row.loyaltyCardNumber),
    ...optional('customerEmail', row.email),
    ...optional('customerPhone', row.phone),
    createdAt: openLoyaltyTime(row.createdAt),
    ...optional('expiresAt', row.expiresAt && openLoyaltyTime(row.expiresAt)),
    ...optional('activatesAt', row.activatesAt && openLoyaltyTime(row.activatesAt)),
    value: toDecimal(row.value),
    state: row.state,
    type: row.type,
    ...(row.transactionId !== null ? { transactionId: { transactionId: row.transactionId } } : {}),
    ...optional('comment', row.comment),
    ...optional('customerReason', row.customerReason),
    ...optional('issuer', row.issuer),
    store: { code: store.storeCode, currency: store.currency },
  };
}
