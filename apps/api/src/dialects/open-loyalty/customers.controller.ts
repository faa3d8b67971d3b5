import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentStore, CustomerAccess, CustomerNotFoundException, RequireScopes } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { ProgressTracker, READ_MODELS } from '@app/engine';
import type { CustomerLookupField, ReadModelQueries } from '@app/read-models';
import { RequestValidationError } from '../../http/validation';
import { CustomerRegistry, PROFILE_FIELDS, ProfileChange, ProfileField } from './customer-registry.service';
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

const LOOKUP_FIELDS: ReadonlyArray<CustomerLookupField & keyof CustomerLookupQuery> = ['email', 'phone', 'customerNumber', 'loyaltyCardNumber'];

/** Customers of a store: register, read, change, look up. Changes reach the customer's transfer rows through projections. */
@ApiTags('Open Loyalty: customers')
@ApiBearerAuth()
@IdempotentCommands()
@Controller('api/:storeCode/customers')
export class CustomersController {
  constructor(
    private readonly registry: CustomerRegistry,
    private readonly progress: ProgressTracker,
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
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
    const customerId = await this.registry.register(store.tenant, store.storeCode, body.customerId, profile);
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
    await this.progress.caughtUp();
    const found = await this.views.customers.findBy(store.tenant, store.storeCode, given[0], query[given[0]] as string);
    return { customers: found ? [toCustomerView(found)] : [], total: found ? 1 : 0 };
  }

  @Get(':customerId')
  @RequireScopes('customers:read')
  @CustomerAccess('allow')
  @ApiOperation({ summary: "A customer's profile" })
  @ApiOkResponse({ type: CustomerView })
  async get(@CurrentStore() store: StoreRecord, @Param() params: CustomerIdParam): Promise<CustomerView> {
    return this.view(store, params.customerId);
  }

  @Patch(':customerId')
  @RequireScopes('customers:write')
  @ApiOperation({ summary: "Change a customer's profile; null clears a field, fields left out keep their value" })
  @ApiOkResponse({ type: CustomerView })
  @ApiConflictResponse({ description: 'a unique field is taken by another customer of the store' })
  async update(@CurrentStore() store: StoreRecord, @Param() params: CustomerIdParam, @Body() body: UpdateCustomerRequest): Promise<CustomerView> {
    const current = await this.registry.load(store.tenant, params.customerId);
    if (!current || current.storeCode !== store.storeCode) throw new CustomerNotFoundException(params.customerId);
    const change: ProfileChange = {};
    for (const field of PROFILE_FIELDS) if (body[field] !== undefined) change[field] = body[field];
    await this.registry.update(store.tenant, current, change);
    return this.view(store, params.customerId);
  }

  private async view(store: StoreRecord, customerId: string): Promise<CustomerView> {
    await this.progress.caughtUp();
    const record = await this.views.customers.byId(store.tenant, store.storeCode, customerId);
    if (!record) throw new CustomerNotFoundException(customerId);
    return toCustomerView(record);
  }
}
