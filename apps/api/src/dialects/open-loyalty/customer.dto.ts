import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ID_MESSAGE, ID_PATTERN } from '../../http/points.validator';
import type { CustomerRecord } from '@app/engine';
import { openLoyaltyTime } from './transfer-listing.dto';

// one pattern for the server and the OpenAPI document, so a client or fuzzer that follows one satisfies the other
const EMAIL = /^[A-Za-z0-9!#$%&'*+\/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+\/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}$/;
const PHONE = /^\+?[0-9][0-9 ()-]{2,31}$/;
const PHONE_MESSAGE = 'must be a phone number: digits, spaces, ( ) - and an optional leading +';
const NUMBER = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;
const NUMBER_MESSAGE = 'must be 1-64 letters, digits or . _ / - (starting with a letter or digit)';

/** Profile fields; on PATCH, null clears a field and a field left out keeps its value. */
export class CustomerProfileFields {
  @ApiPropertyOptional({ example: 'C-1001' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString({ message: 'must be a string' })
  @Matches(NUMBER, { message: NUMBER_MESSAGE })
  customerNumber?: string | null;

  @ApiPropertyOptional({ example: 'user@example.com' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString({ message: 'must be a string' })
  @MaxLength(254, { message: 'must be at most 254 characters' })
  @Matches(EMAIL, { message: 'must be an e-mail address' })
  email?: string | null;

  @ApiPropertyOptional({ example: '+48234234000' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString({ message: 'must be a string' })
  @Matches(PHONE, { message: PHONE_MESSAGE })
  phone?: string | null;

  @ApiPropertyOptional({ example: 'John' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString({ message: 'must be a string' })
  @MaxLength(128, { message: 'must be at most 128 characters' })
  firstName?: string | null;

  @ApiPropertyOptional({ example: 'Doe' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString({ message: 'must be a string' })
  @MaxLength(128, { message: 'must be at most 128 characters' })
  lastName?: string | null;

  @ApiPropertyOptional({ example: '47834433524' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString({ message: 'must be a string' })
  @Matches(NUMBER, { message: NUMBER_MESSAGE })
  loyaltyCardNumber?: string | null;
}

export class RegisterCustomerRequest extends CustomerProfileFields {
  @ApiPropertyOptional({ description: 'Your id for the customer; a uuid is generated when left out', example: '00000000-0000-474c-b092-b0dd880c07e1' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  customerId?: string;
}

export class UpdateCustomerRequest extends CustomerProfileFields {}

export class CustomerLookupQuery {
  @ApiPropertyOptional() @IsOptional() @IsString({ message: 'must be a string' }) @MaxLength(254, { message: 'must be at most 254 characters' }) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString({ message: 'must be a string' }) @MaxLength(64, { message: 'must be at most 64 characters' }) phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString({ message: 'must be a string' }) @MaxLength(64, { message: 'must be at most 64 characters' }) customerNumber?: string;
  @ApiPropertyOptional() @IsOptional() @IsString({ message: 'must be a string' }) @MaxLength(64, { message: 'must be at most 64 characters' }) loyaltyCardNumber?: string;
}

export class CustomerCreatedResponse {
  @ApiProperty({ example: '00000000-0000-474c-b092-b0dd880c07e1' }) customerId!: string;
}

/** A customer's profile; fields the customer does not have are left out. */
export class CustomerView {
  @ApiProperty() customerId!: string;
  @ApiProperty() storeCode!: string;
  @ApiPropertyOptional() customerNumber?: string;
  @ApiPropertyOptional() email?: string;
  @ApiPropertyOptional() phone?: string;
  @ApiPropertyOptional() firstName?: string;
  @ApiPropertyOptional() lastName?: string;
  @ApiPropertyOptional() loyaltyCardNumber?: string;
  @ApiPropertyOptional() registeredAt?: string;
  @ApiPropertyOptional() updatedAt?: string;
}

export class CustomerLookupResponse {
  @ApiProperty({ type: [CustomerView] }) customers!: CustomerView[];
  @ApiProperty() total!: number;
}

export function toCustomerView(record: CustomerRecord): CustomerView {
  const view: CustomerView = { customerId: record.customerId, storeCode: record.storeCode };
  for (const field of ['customerNumber', 'email', 'phone', 'firstName', 'lastName', 'loyaltyCardNumber'] as const) {
    const value = record[field];
    if (value !== null) view[field] = value;
  }
  if (record.registeredAt) view.registeredAt = openLoyaltyTime(record.registeredAt);
  if (record.updatedAt) view.updatedAt = openLoyaltyTime(record.updatedAt);
  return view;
}
