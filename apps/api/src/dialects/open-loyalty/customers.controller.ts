import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentStore, CustomerAccess, RequireScopes } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { CustomerRegistry, Customers } from '@app/engine';
import { PROFILE_FIELDS, type ProfileField, type UniqueCustomerField } from '@app/ledger';
import { RequestValidationError } from '../../http/validation';
import {
  CustomerCreatedResponse,
  CustomerLookupQuery,
  CustomerLookupResponse,
  CustomerView,
  RegisterCustomerRequest,
  toCustomerView,
  UpdateCustomerRequest,
} from './customer.dto';
import { CustomerIdParam } from './params.dto';
import { IdempotentCommands } from '../../http/command-context';

const LOOKUP_FIELDS: ReadonlyArray<UniqueCustomerField & keyof CustomerLookupQuery> = ['email', 'phone', 'customerNumber', 'loyaltyCardNumber'];

/** Customers of a store: register, read, change, look up. Changes reach the customer's transfer rows through projections. */
@ApiTags('Open Loyalty: customers')
@ApiBearerAuth()
@IdempotentCommands()
@Controller('api/:storeCode/customers')
export class CustomersController {
  constructor(
    private readonly registry: CustomerRegistry,
    private readonly customers: Customers,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('customers:write')
  @ApiOperation({ summary: 'Register a customer; customer number, e-mail, phone and loyalty card number are unique in the store' })
  @ApiCreatedResponse({ type: CustomerCreatedResponse })
  @ApiConflictResponse({ description: 'the customer id, or a unique field, is taken' })
  async register(@CurrentStore() store: StoreRecord, @Body() body: RegisterCustomerRequest): Promise<CustomerCreatedResponse> {
    const profile: Partial<Record<ProfileField, string>> = {};
    for (const field of PROFILE_FIELDS) {
      const value = body[field];
      if (typeof value === 'string') profile[field] = value;
    }
    const customerId = await this.registry.register(store, body.customerId, profile);
    return { customerId };
  }

  @Get()
  @RequireScopes('customers:read')
  @ApiOperation({ summary: 'Find a customer by exactly one of email, phone, customerNumber, loyaltyCardNumber' })
  @ApiOkResponse({ type: CustomerLookupResponse })
  async lookup(@CurrentStore() store: StoreRecord, @Query() query: CustomerLookupQuery): Promise<CustomerLookupResponse> {
    const given = LOOKUP_FIELDS.filter((field) => query[field] !== undefined);
    if (given.length !== 1) {
      const message = given.length ? `give only one of ${given.join(', ')}` : `give one of ${LOOKUP_FIELDS.join(', ')}`;
      throw new RequestValidationError((given.length ? given : LOOKUP_FIELDS).map((field) => ({ field, message })));
    }
    const found = await this.customers.lookup(store, given[0], query[given[0]] as string);
    return { customers: found ? [toCustomerView(found)] : [], total: found ? 1 : 0 };
  }

  @Get(':customerId')
  @RequireScopes('customers:read')
  @CustomerAccess('allow')
  @ApiOperation({ summary: "A customer's profile" })
  @ApiOkResponse({ type: CustomerView })
  async get(@CurrentStore() store: StoreRecord, @Param() params: CustomerIdParam): Promise<CustomerView> {
    return toCustomerView(await this.customers.get(store, params.customerId));
  }

  @Patch(':customerId')
  @RequireScopes('customers:write')
  @ApiOperation({ summary: "Change a customer's profile; null clears a field, fields left out keep their value" })
  @ApiOkResponse({ type: CustomerView })
  @ApiConflictResponse({ description: 'a unique field is taken by another customer of the store' })
  async update(@CurrentStore() store: StoreRecord, @Param() params: CustomerIdParam, @Body() body: UpdateCustomerRequest): Promise<CustomerView> {
    const change: Partial<Record<ProfileField, string | null>> = {};
    for (const field of PROFILE_FIELDS) if (body[field] !== undefined) change[field] = body[field];
    await this.registry.update(store, params.customerId, change);
    return toCustomerView(await this.customers.get(store, params.customerId));
  }
}
