import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { SallaMessage } from './salla-messages';

export const SALLA_CHANNELS = ['email', 'sms', 'mobile'] as const;
export type SallaChannel = (typeof SALLA_CHANNELS)[number];
/** 10,000 customers in one request is the measured case; the body limit bounds it too */
export const MAX_CUSTOMERS = 50_000;

/** Every message is a SallaMessage key: the error writer words it in the request's language. */
const message = (key: SallaMessage) => ({ message: key });

/** Salla's `add_loyalty_points_request`, as its OpenAPI document gives it. */
export class UpdateLoyaltyPointsRequest {
  @ApiPropertyOptional({ minimum: 1, maximum: 999999, example: 900, description: 'Loyalty points, required unless reset_points is true' })
  @ValidateIf((request: UpdateLoyaltyPointsRequest) => request.reset_points !== true || request.points !== undefined)
  @IsDefined(message('required'))
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 }, message('number'))
  @Min(1, message('points_range'))
  @Max(999999, message('points_range'))
  points?: number;

  @ApiPropertyOptional({ description: 'Reset the loyalty points (every lot expires); with points, the balance then becomes exactly points' })
  @IsOptional()
  @IsBoolean(message('boolean'))
  reset_points?: boolean;

  @ApiProperty({ enum: ['plus', 'minus'] })
  @IsDefined(message('required'))
  @IsIn(['plus', 'minus'], message('type'))
  type!: 'plus' | 'minus';

  @ApiProperty({ description: 'Text for showing the reason for the update' })
  @IsDefined(message('required'))
  @IsString(message('string'))
  @IsNotEmpty(message('required'))
  @MaxLength(1000, message('too_long'))
  reason!: string;

  @ApiProperty({ enum: SALLA_CHANNELS, isArray: true, description: 'Channels to tell each customer on' })
  @IsDefined(message('required'))
  @IsArray(message('invalid'))
  @IsIn(SALLA_CHANNELS, { each: true, ...message('channel') })
  channel_send!: SallaChannel[];

  @ApiPropertyOptional({ type: [Number], example: [748394059, 873874834], description: 'Customers to change; required unless select_all is true' })
  @ValidateIf((request: UpdateLoyaltyPointsRequest) => request.select_all !== true)
  @IsDefined(message('required'))
  @IsArray(message('invalid'))
  @ArrayMaxSize(MAX_CUSTOMERS, message('too_many'))
  @IsInt({ each: true, ...message('invalid') })
  @Min(1, { each: true, ...message('invalid') })
  @Max(Number.MAX_SAFE_INTEGER, { each: true, ...message('invalid') })
  customers?: number[];

  @ApiPropertyOptional({ description: 'Every customer of the store (registered or holding points); customers is then ignored' })
  @IsOptional()
  @IsBoolean(message('boolean'))
  select_all?: boolean;
}
