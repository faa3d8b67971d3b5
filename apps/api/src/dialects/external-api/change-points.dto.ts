import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, registerDecorator, ValidateIf, ValidationArguments } from 'class-validator';
import striptags from 'striptags';
import { Hundredths, InvalidPointsError, parsePoints } from '@app/ledger';
import { ID_MESSAGE, ID_PATTERN } from '../../http/points.validator';

export const OPERATION_ADD = 0;
export const OPERATION_REMOVE = 1;
export const MAX_TEXT_LENGTH = 255;
const NOT_BLANK = /\S/;

/**
 * The Amount as signed hundredths: "10", -10, "-6.5" (at most 2 decimals, up to 999,999,999 either
 * way). Throws InvalidPointsError with an Amount-worded reason otherwise.
 */
export function signedHundredths(value: unknown): Hundredths {
  if (typeof value !== 'number' && typeof value !== 'string') throw new InvalidPointsError(value, 'must be a number');
  const text = String(value).trim();
  const negative = text.startsWith('-');
  const magnitude = negative ? text.slice(1) : text;
  if (/^0*(\.0*)?$/.test(magnitude) && /\d/.test(magnitude)) throw new InvalidPointsError(value, 'must not be 0: positive adds points, negative removes them');
  try {
    const hundredths = parsePoints(magnitude);
    return negative ? -hundredths : hundredths;
  } catch (error) {
    if (!(error instanceof InvalidPointsError)) throw error;
    throw new InvalidPointsError(value, error.reason.replace(/^points /, ''));
  }
}

function amountRefusal(value: unknown, request: Partial<ChangePointsRequest>): string | undefined {
  let hundredths: Hundredths;
  try {
    hundredths = signedHundredths(value);
  } catch (error) {
    return error instanceof InvalidPointsError ? error.reason : 'must be a number';
  }
  if (request.OperationType === OPERATION_ADD && hundredths < 0) return 'must be positive when OperationType is 0 (add)';
  if (request.OperationType === OPERATION_REMOVE && hundredths > 0) return 'must be negative when OperationType is 1 (remove)';
  return undefined;
}

/** A signed amount of points whose sign agrees with OperationType. */
function IsSignedAmount(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isSignedAmount',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => amountRefusal(value, args.object as Partial<ChangePointsRequest>) === undefined,
        defaultMessage: (args: ValidationArguments) => amountRefusal(args.value, args.object as Partial<ChangePointsRequest>) ?? 'must be a number',
      },
    });
  };
}

/** What the customer will read: the text without HTML tags, trimmed; striptags keeps text that only looks like a tag ("a < b"). */
export function customerFacingText(value: string): string {
  return striptags(value).trim();
}

const absent = (value: unknown): boolean => value === undefined || value === null;

export class ChangePointsRequest {
  @ApiPropertyOptional({ description: 'The customer, by id; either CustomerId or Email is required (both: they must name the same customer)', example: 'ABC' })
  @Transform(({ value }) => (typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value))
  @ValidateIf((request: ChangePointsRequest) => absent(request.Email) || !absent(request.CustomerId))
  @IsDefined({ message: 'is required when Email is not given' })
  @IsString({ message: 'must be a string' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  CustomerId?: string;

  @ApiPropertyOptional({ description: "The customer, by e-mail (any case): a registered customer of the client's default store", example: 'anna@example.com' })
  @ValidateIf((request: ChangePointsRequest) => !absent(request.Email))
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_TEXT_LENGTH, { message: `must be at most ${MAX_TEXT_LENGTH} characters` })
  @IsEmail({}, { message: 'must be an e-mail address' })
  Email?: string;

  @ApiProperty({ description: 'Points: positive to add (OperationType 0), negative to remove (OperationType 1); at most 2 decimals', example: 10, type: 'number' })
  @IsDefined({ message: 'is required' })
  @IsSignedAmount()
  Amount!: number | string;

  @ApiProperty({ enum: [OPERATION_ADD, OPERATION_REMOVE], description: '0 adds points, 1 removes points' })
  @Transform(({ value }) => (value === '0' || value === '1' ? Number(value) : value))
  @IsDefined({ message: 'is required' })
  @IsIn([OPERATION_ADD, OPERATION_REMOVE], { message: 'must be 0 (add) or 1 (remove)' })
  OperationType!: 0 | 1;

  @ApiProperty({ description: 'Why the points change; internal only, never shown to the customer', maxLength: MAX_TEXT_LENGTH })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  @MaxLength(MAX_TEXT_LENGTH, { message: `must be at most ${MAX_TEXT_LENGTH} characters` })
  Reason!: string;

  @ApiProperty({ description: 'Unique per change: the first request changes the points, any later one with this key changes nothing (CodeName ChangeKeyAlreadyUsed)', example: 'ADD-ABC-10-123', maxLength: MAX_TEXT_LENGTH })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  @MaxLength(MAX_TEXT_LENGTH, { message: `must be at most ${MAX_TEXT_LENGTH} characters` })
  ChangeKey!: string;

  @ApiPropertyOptional({
    description: `Shown in the customer's points history. HTML tags are stripped; at most ${MAX_TEXT_LENGTH} characters after that; null, empty or blank: the default message`,
    nullable: true,
    maxLength: MAX_TEXT_LENGTH,
  })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @Transform(({ value }) => (typeof value === 'string' ? customerFacingText(value) : value))
  @MaxLength(MAX_TEXT_LENGTH, { message: `must be at most ${MAX_TEXT_LENGTH} characters once HTML tags are stripped` })
  CustomerFacingReason?: string | null;
}

export class ChangePointsResult {
  @ApiProperty({ example: 'ADD-ABC-10-123' }) ChangeKey!: string;
  @ApiProperty({ example: 'ABC' }) CustomerId!: string;
  @ApiProperty({ enum: [OPERATION_ADD, OPERATION_REMOVE] }) OperationType!: 0 | 1;
  @ApiProperty({ example: 10, description: 'the points changed, signed as sent' }) Amount!: number;
  @ApiProperty({ description: "the customer's available points right after this change" }) Balance!: number;
  @ApiProperty({ description: 'the transfer this change made (Open Loyalty pointsTransferId)' }) PointsTransferId!: string;
  @ApiProperty({ description: 'what the customer sees in their history (tags stripped, or the default message)' }) CustomerFacingReason!: string;
}
