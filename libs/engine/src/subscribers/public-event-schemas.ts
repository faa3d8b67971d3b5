import { PUBLIC_EVENT_TYPES, PUBLIC_SCHEMA_VERSION, PublicEventType } from './public-events';

type JsonSchema = Record<string, unknown>;

const points = { type: 'number', multipleOf: 0.01, description: 'exact decimal: at most two fractional digits (integer hundredths / 100)' };
const instant = { type: 'string', format: 'date-time' };
const text = { type: 'string' };
const decimalBalance = {
  type: 'object',
  required: ['available', 'active', 'pending', 'blocked'],
  properties: { available: points, active: points, pending: points, blocked: points },
  additionalProperties: false,
};

const lotFields = {
  transferId: text,
  points,
  state: { enum: ['active', 'pending'] },
  createdAt: instant,
  activatesAt: instant,
  expiresAt: instant,
  comment: text,
  customerReason: text,
  referenceId: text,
  transactionId: text,
};
const spendFields = { transferId: text, points, createdAt: instant, comment: text, customerReason: text, referenceId: text, transactionId: text };
const profile = { customerNumber: text, email: text, phone: text, firstName: text, lastName: text, loyaltyCardNumber: text };
const nullable = (schema: JsonSchema) => ({ anyOf: [schema, { type: 'null' }] });

/** The `data` of every public type, version 1. */
const DATA: Record<PublicEventType, { required: string[]; properties: Record<string, JsonSchema> }> = {
  'points.added': { required: ['transferId', 'points', 'state', 'createdAt'], properties: lotFields },
  'points.spent': { required: ['transferId', 'points', 'createdAt'], properties: spendFields },
  'points.blocked': { required: ['transferId', 'points', 'createdAt'], properties: { transferId: text, points, createdAt: instant, comment: text, referenceId: text } },
  'points.unblocked': { required: ['transferId', 'points', 'unblockedAt'], properties: { transferId: text, points, unblockedAt: instant } },
  'points.activated': { required: ['transferId', 'points', 'activatedAt'], properties: { transferId: text, points, activatedAt: instant } },
  'points.expired': { required: ['transferId', 'points', 'expiredAt'], properties: { transferId: text, points, expiredAt: instant } },
  'points.cancelled': {
    required: ['transferId', 'points', 'cancelledType', 'cancelledAt'],
    properties: { transferId: text, points, cancelledType: { enum: ['adding', 'p2p_adding', 'spending', 'p2p_spending'] }, cancelledAt: instant },
  },
  'points.transferred': {
    required: ['transferId', 'points', 'direction', 'p2pId', 'createdAt'],
    properties: { ...lotFields, direction: { enum: ['sent', 'received'] }, p2pId: text, counterpartCustomerId: text },
  },
  'account.opened': { required: ['openedAt'], properties: { openedAt: instant } },
  'account.closed': { required: ['closedAt'], properties: { closedAt: instant } },
  'customer.registered': { required: ['customerId', 'registeredAt'], properties: { customerId: text, registeredAt: instant, ...profile } },
  'customer.updated': {
    required: ['updatedAt'],
    properties: { updatedAt: instant, ...Object.fromEntries(Object.entries(profile).map(([field, schema]) => [field, nullable(schema)])) },
  },
  'endpoint.paused': { required: ['endpointId', 'url', 'failingSince', 'pausedAt'], properties: { endpointId: text, url: text, failingSince: instant, pausedAt: instant } },
  'endpoint.disabled': { required: ['endpointId', 'url', 'disabledAt', 'reason'], properties: { endpointId: text, url: text, disabledAt: instant, reason: text } },
};

function schemaOf(type: PublicEventType): JsonSchema {
  const isPoints = type.startsWith('points.') || type.startsWith('account.');
  const isEndpoint = type.startsWith('endpoint.');
  const data = DATA[type];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `urn:loyalty:event:${type}:v${PUBLIC_SCHEMA_VERSION}`,
    title: type,
    type: 'object',
    required: [
      'id', 'type', 'schemaVersion', 'cursor', 'position', 'occurredAt', 'tenant', 'storeCode', 'data',
      ...(isEndpoint ? [] : ['customerId', 'accountVersion']),
      ...(isPoints ? ['balance'] : []),
    ],
    properties: {
      id: text,
      type: { const: type },
      schemaVersion: { const: PUBLIC_SCHEMA_VERSION },
      cursor: { type: 'string', description: 'opaque; pass back as `after` or Last-Event-ID' },
      position: { type: 'integer', minimum: 0 },
      occurredAt: instant,
      tenant: text,
      storeCode: text,
      ...(isEndpoint ? {} : { customerId: text, accountVersion: { type: 'integer', minimum: 0 } }),
      ...(isPoints ? { balance: decimalBalance } : {}),
      data: { type: 'object', required: data.required, properties: data.properties, additionalProperties: false },
    },
    additionalProperties: false,
  };
}

/** JSON Schema per public type and version, as served at GET /api/events/schemas. */
export const PUBLIC_EVENT_SCHEMAS: ReadonlyArray<{ type: PublicEventType; schemaVersion: number; schema: JsonSchema }> = PUBLIC_EVENT_TYPES.map((type) => ({
  type,
  schemaVersion: PUBLIC_SCHEMA_VERSION,
  schema: schemaOf(type),
}));
