import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, NotEquals } from 'class-validator';
import { ID_MESSAGE, ID_PATTERN } from '../../http/points.validator';

/** The ledger's largest amount, in whole points: a Prems booking is a signed whole number of points. */
export const MAX_BOOKING_POINTS = 999_999_999;

/** Fields every Prems booking carries: what it is for, how many points (signed) and, optionally, where. */
// class-validator reports the decorator nearest the property first: the type check sits there
export class BonusBookingFields {
  @ApiProperty({ description: 'Description for added/removed bonus points (kept as the transfer comment)', example: 'Test points', maxLength: 255 })
  @IsDefined({ message: 'is required' })
  @IsNotEmpty({ message: 'must not be blank' })
  @MaxLength(255, { message: 'must be at most 255 characters' })
  @IsString({ message: 'must be a string' })
  description!: string;

  @ApiProperty({ description: 'Amount of points: positive adds, negative spends; a whole number, never 0', example: 5, type: 'integer' })
  @IsDefined({ message: 'is required' })
  @NotEquals(0, { message: 'must not be 0: positive points add, negative points spend' })
  @Min(-MAX_BOOKING_POINTS, { message: `must be at least -${MAX_BOOKING_POINTS}` })
  @Max(MAX_BOOKING_POINTS, { message: `must be at most ${MAX_BOOKING_POINTS}` })
  @IsInt({ message: 'must be a whole number of points' })
  points!: number;

  @ApiPropertyOptional({
    description: "Sales channel id, mapped to a store by `loyalty stores add <tenant> <storeCode> --alias <salesChannelId>`; empty or absent: the customer's store",
    example: '',
  })
  @IsOptional()
  @MaxLength(128, { message: 'must be at most 128 characters' })
  @IsString({ message: 'must be a string' })
  salesChannelId?: string;
}

export class BonusBookingByNumberRequest extends BonusBookingFields {
  @ApiProperty({ description: 'Customer number (registered with the engine)', example: '10382', maxLength: 64 })
  @IsDefined({ message: 'is required' })
  @IsNotEmpty({ message: 'must not be blank' })
  @MaxLength(64, { message: 'must be at most 64 characters' })
  @IsString({ message: 'must be a string' })
  customerNumber!: string;
}

export class BonusBookingByIdRequest extends BonusBookingFields {
  @ApiProperty({ description: "Customer id (Shopware's 32-hex ids included)", example: '019685763d44731cb4ac5938f107993e' })
  @IsDefined({ message: 'is required' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  @IsString({ message: 'must be a string' })
  customerId!: string;
}

export class BonusBookingView {
  @ApiProperty({ description: 'The booking: the id of the transfer it stored', example: '5d0c3f6e-8a3b-4f67-9a51-1f7a2b0c9d11' })
  id!: string;

  @ApiProperty({ example: '019685763d44731cb4ac5938f107993e' })
  customerId!: string;

  @ApiProperty({ nullable: true, type: String, example: '10382' })
  customerNumber!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'as sent; null when the customer\'s store was used', example: null })
  salesChannelId!: string | null;

  @ApiProperty({ description: 'The engine store the booking went to', example: 'DEFAULT' })
  storeCode!: string;

  @ApiProperty({ example: 5 })
  points!: number;

  @ApiProperty({ example: 'Test points' })
  description!: string;

  @ApiProperty({ description: "The customer's spendable points in that store right after the booking", example: 15 })
  balance!: number;
}

export class BonusBookingResponse {
  @ApiProperty({ type: BonusBookingView })
  data!: BonusBookingView;
}
