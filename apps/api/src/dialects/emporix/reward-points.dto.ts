import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ID_MESSAGE, ID_PATTERN } from '../../http/points.validator';
import { OptionalBody } from '../../http/validation';

/** Emporix points are whole numbers; the ledger's own ceiling applies. */
const MAX_POINTS = 999_999_999;
const WHOLE_POINTS = 'must be a whole number of points (this API has no decimals)';

/** Fields addPoints and redeemPoints share: what the ledger records. */
class PointsOperationIn {
  @ApiPropertyOptional({
    description: 'Your id for the entry; the same id again is the same operation: it is stored once and answered the same',
    example: '12345fee-0b83-48aa-95dc-11e3dcf84aaa',
  })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  id?: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(1000, { message: 'must be at most 1000 characters' })
  description?: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_POINTS, example: 123 })
  @IsDefined({ message: 'is required' })
  @IsInt({ message: WHOLE_POINTS })
  @Min(1, { message: 'must be at least 1' })
  @Max(MAX_POINTS, { message: `must be at most ${MAX_POINTS}` })
  points!: number;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When it happened, if earlier than now (e.g. the order date): shown as createdAt, never reorders the ledger; not in the future',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 date-time' })
  createdAt?: string;

  @ApiPropertyOptional({ type: 'integer', readOnly: true, description: 'ignored: the ledger computes it' })
  allPointsAfterCreation?: unknown;
}

/** Body of `POST /reward-points/customer/{customerId}/addPoints` (Emporix `addedPoints`). */
export class AddPointsIn extends PointsOperationIn {
  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'Order id for which the points were created', maxLength: 255, example: '123456' })
  @IsOptional()
  @IsString({ message: 'must be a string or null' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  'reference-id'?: string | null;

  @ApiPropertyOptional({ format: 'date-time', description: 'The points can be redeemed until then; after that they expire' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 date or date-time' })
  validUntil?: string;

  @ApiPropertyOptional({ type: 'integer', readOnly: true, description: 'ignored: the ledger computes it' })
  usedPoints?: unknown;

  @ApiPropertyOptional({ type: [String], readOnly: true, description: 'ignored: the ledger computes it' })
  usedWith?: unknown;
}

/** Body of `POST /reward-points/customer/{customerId}/redeemPoints` (Emporix `redeemedPoints`). */
export class RedeemPointsIn extends PointsOperationIn {}

/** Body of `POST /reward-points/customer/{customerId}` (Emporix `newCustomerIn`); a client may send none. */
@OptionalBody()
export class NewCustomerIn {
  @ApiPropertyOptional({ description: "The customer's id; when given it must be the path's" })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  customerId?: string;

  @ApiPropertyOptional({ type: AddPointsIn, description: 'Points credited when this request opens the account; ignored when it is already open' })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddPointsIn)
  startPoints?: AddPointsIn;
}

export const SUMMARY_PAGE_SIZE = 100;
export const SUMMARY_MAX_PAGE_SIZE = 500;

export class SummaryBatchQuery {
  @ApiPropertyOptional({ description: 'Only this site (store) of the tenant; every site when absent' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  siteCode?: string;

  @ApiPropertyOptional({ description: "the previous page's X-Next-Page-Token (also in its Link header); the first page without" })
  @IsOptional()
  @IsString({ message: 'must be the pageToken of a previous page' })
  @MaxLength(1000, { message: 'must be the pageToken of a previous page' })
  pageToken?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: SUMMARY_MAX_PAGE_SIZE, default: SUMMARY_PAGE_SIZE, description: 'Customers per page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  @Max(SUMMARY_MAX_PAGE_SIZE, { message: `must be at most ${SUMMARY_MAX_PAGE_SIZE}` })
  pageSize?: number;
}

/** Amounts out are numbers: whole for points this API added, hundredths where another dialect credited decimals to the same ledger. */
export class AddedPointsOut {
  @ApiProperty() id!: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'Order id for which the points were created' }) 'reference-id'!: string | null;
  @ApiPropertyOptional() description?: string;
  @ApiProperty({ type: 'number' }) points!: number;
  @ApiProperty({ format: 'date-time', description: 'the time the client reported, else when it was recorded' }) createdAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) validUntil?: string;
  @ApiProperty({ type: 'number', description: 'redeemable points right after this entry' }) allPointsAfterCreation!: number;
  @ApiProperty({ type: 'number', description: 'points of this entry redeemed since' }) usedPoints!: number;
  @ApiProperty({ type: [String], description: 'ids of the redemptions that used them' }) usedWith!: string[];
}

export class RedeemedPointsOut {
  @ApiProperty() id!: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty({ type: 'number' }) points!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: 'number' }) allPointsAfterCreation!: number;
}

export class CustomerSummaryOut {
  @ApiProperty({ type: [AddedPointsOut] }) addedPointsList!: AddedPointsOut[];
  @ApiProperty({ type: [RedeemedPointsOut] }) redeemedPointsList!: RedeemedPointsOut[];
}

export class PointsSummaryOut {
  @ApiProperty() customerId!: string;
  @ApiPropertyOptional({ description: 'the site (store) of this account; summaryBatch lists every site of the tenant' }) siteCode?: string;
  @ApiProperty({ type: 'number', description: 'points that can be redeemed now' }) activePoints!: number;
  @ApiProperty({ type: CustomerSummaryOut }) summary!: CustomerSummaryOut;
}
