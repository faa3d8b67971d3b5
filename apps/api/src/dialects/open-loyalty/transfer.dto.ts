import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsISO8601, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { parsePoints } from '@app/ledger';
import { ID_MESSAGE, ID_PATTERN, IsPoints } from '../../http/points.validator';
import { registerFastBodyCheck } from '../../http/validation';

/** `transfer[...]` fields shared by add, spend and block (form-urlencoded or JSON). */
export class TransferFields {
  @ApiProperty({ description: 'Customer ID', example: 'b9af6a8c-9cc5-4924-989c-e4af614ab2a3' })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  customer!: string;

  @ApiProperty({ description: 'Points, up to 2 decimals', example: 9, type: 'number' })
  @IsDefined({ message: 'is required' })
  @IsPoints()
  points!: string | number;

  @ApiPropertyOptional({ description: 'Comment shown with the transfer', maxLength: 255 })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  comment?: string;
}

export class AddTransferFields extends TransferFields {
  @ApiPropertyOptional({ description: 'Points expire at this instant (or the end of this UTC day); beats the store policy' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 date or date-time' })
  validUntil?: string;

  @ApiPropertyOptional({ description: 'Points expire this many days after they become active' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1, { message: 'must be at least 1' })
  @Max(36500, { message: 'must be at most 36500' })
  validityDays?: number;

  @ApiPropertyOptional({ description: 'Points stay pending until this instant' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 date-time' })
  activatesAt?: string;

  @ApiPropertyOptional({ description: 'Points stay pending this many days' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number of days' })
  @Min(0, { message: 'must be at least 0' })
  @Max(36500, { message: 'must be at most 36500' })
  pendingDays?: number;
}

export class AddTransferRequest {
  @ApiProperty({ type: AddTransferFields })
  @IsDefined({ message: 'is required' })
  @IsObject({ message: 'must be an object of transfer[...] fields' })
  @ValidateNested()
  @Type(() => AddTransferFields)
  transfer!: AddTransferFields;
}

export class TransferRequest {
  @ApiProperty({ type: TransferFields })
  @IsDefined({ message: 'is required' })
  @IsObject({ message: 'must be an object of transfer[...] fields' })
  @ValidateNested()
  @Type(() => TransferFields)
  transfer!: TransferFields;
}

/**
 * The add, spend and block bodies a points client sends all day (customer, points, maybe a comment),
 * accepted without class-transformer and class-validator; anything else, the add's optional dates and
 * days included, is left to them (see registerFastBodyCheck).
 */
const FAST_FIELDS = new Set(['customer', 'points', 'comment']);

function plainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function validPoints(value: unknown): boolean {
  try {
    parsePoints(value);
    return true;
  } catch {
    return false;
  }
}

function fastTransferBody<R extends object, F extends TransferFields>(Request: new () => R, Fields: new () => F): (body: unknown) => R | undefined {
  return (body) => {
    if (!plainObject(body) || !plainObject(body.transfer)) return undefined;
    const { transfer } = body;
    for (const key of Object.keys(transfer)) if (!FAST_FIELDS.has(key)) return undefined;
    const { customer, points, comment } = transfer;
    if (typeof customer !== 'string' || !ID_PATTERN.test(customer)) return undefined;
    if (points === undefined || points === null || !validPoints(points)) return undefined;
    if (comment !== undefined && comment !== null && (typeof comment !== 'string' || comment.length > 255)) return undefined;
    const fields = new Fields();
    fields.customer = customer;
    fields.points = points as string | number;
    // a null comment is a comment left out, as the full validation path treats it
    if (typeof comment === 'string') fields.comment = comment;
    // whitelisting: the request's other top-level fields are dropped, as class-validator drops them
    return Object.assign(new Request(), { transfer: fields });
  };
}

registerFastBodyCheck(AddTransferRequest, fastTransferBody(AddTransferRequest, AddTransferFields));
registerFastBodyCheck(TransferRequest, fastTransferBody(TransferRequest, TransferFields));

/** What every p2p transfer names: the receiver, the points and a comment. */
class P2PCommonFields {
  @ApiProperty({ description: 'Receiver: customer id, e-mail or phone' })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  receiver!: string;

  @ApiProperty({ description: 'Points to transfer', type: 'number' })
  @IsDefined({ message: 'is required' })
  @IsPoints()
  points!: string | number;

  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  comment?: string;
}

/** The logged-in customer's transfer: the sender is the customer, a sender given is ignored. */
export class P2PFields extends P2PCommonFields {
  @ApiPropertyOptional({ description: 'ignored: the sender is the logged-in customer' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  sender?: string;
}

/** An admin's transfer names its sender. */
export class AdminP2PFields extends P2PCommonFields {
  @ApiProperty({ description: 'Sender: customer id, e-mail or phone' })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  sender!: string;
}

export class P2PRequest {
  @ApiProperty({ type: P2PFields })
  @IsDefined({ message: 'is required' })
  @IsObject({ message: 'must be an object of transfer[...] fields' })
  @ValidateNested()
  @Type(() => P2PFields)
  transfer!: P2PFields;
}

export class AdminP2PRequest {
  @ApiProperty({ type: AdminP2PFields })
  @IsDefined({ message: 'is required' })
  @IsObject({ message: 'must be an object of transfer[...] fields' })
  @ValidateNested()
  @Type(() => AdminP2PFields)
  transfer!: AdminP2PFields;
}

export class TransferCreatedResponse {
  @ApiProperty({ example: '32132863-3d1e-4a94-8bb4-6e42e3c96c0b' })
  pointsTransferId!: string;
}
