import { DECORATORS, type OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject, ParameterObject, ResponseObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { ID_PATTERN } from './points.validator';
import { OPTIONAL_BODIES } from './validation';
import { STATUS_NAMES, type ErrorWriters } from './errors.filter';

/** Store codes as ClientService accepts them (libs/auth client.service.ts). */
const STORE_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The largest amount the ledger accepts (libs/ledger points.ts): 999,999,999 with 2 decimals. */
const MAX_POINTS = 999_999_999;

type PropertyOptions = Record<string, unknown>;

/** What one property's class-validator constraints say, in OpenAPI's words. */
function schemaOf(rules: ValidationMetadata[]): PropertyOptions {
  const options: PropertyOptions = { required: !rules.some((rule) => rule.name === 'isOptional') };
  for (const rule of rules) {
    const [first, second] = rule.constraints ?? [];
    switch (rule.name) {
      case 'isString':
        options.type = 'string';
        break;
      case 'isInt':
        options.type = 'integer';
        break;
      case 'isNumber':
        options.type = 'number';
        break;
      case 'isBoolean':
        options.type = 'boolean';
        break;
      case 'matches':
        options.pattern = (first as RegExp).source;
        break;
      case 'maxLength':
        options.maxLength = first;
        break;
      case 'minLength':
        options.minLength = first;
        break;
      case 'length':
        options.minLength = first;
        if (second !== undefined) options.maxLength = second;
        break;
      case 'min':
        options.minimum = first;
        break;
      case 'max':
        options.maximum = first;
        break;
      case 'notEquals':
        options.not = { enum: [first] };
        break;
      case 'isIn':
        options.enum = first;
        break;
      case 'isIso8601':
        options.format = 'date-time';
        break;
      case 'isNotEmpty':
        options.minLength = Math.max(1, (options.minLength as number | undefined) ?? 1);
        break;
      case 'isPoints':
        // the ledger takes a number or a decimal string; the document promises the number form
        Object.assign(options, { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: MAX_POINTS, multipleOf: 0.01 });
        break;
      default:
        break;
    }
  }
  return options;
}

/**
 * Writes what every class-validator DTO enforces (required, pattern, lengths, bounds, enums, types)
 * into the properties @nestjs/swagger documents, so the served document states the limits the server
 * applies without restating them in @ApiProperty. The compile-time plugin would need its transformer
 * in nest build, ts-jest and ts-node alike; reading the one metadata store at start needs none.
 * Options given explicitly in @ApiProperty win, except a type taken from a union's `Object`.
 */
export function documentValidationConstraints(): void {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<Function, ValidationMetadata[]> };
  for (const [target, metadata] of storage.validationMetadatas) {
    if (typeof target !== 'function' || !target.prototype) continue;
    const byProperty = new Map<string, ValidationMetadata[]>();
    for (const rule of metadata) byProperty.set(rule.propertyName, [...(byProperty.get(rule.propertyName) ?? []), rule]);
    for (const [property, rules] of byProperty) {
      const derived = schemaOf(rules);
      const prototype = target.prototype as object;
      const existing = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, prototype, property) as PropertyOptions | undefined;
      // a type given as a string ('integer') was chosen; a constructor (Number, Object) is only TypeScript's design type
      const explicit = Object.fromEntries(Object.entries(existing ?? {}).filter(([key, value]) => !(key === 'type' && (value === undefined || (typeof value === 'function' && derived.type) || value === Object))));
      if (!explicit.type && !derived.type) derived.type = Reflect.getMetadata('design:type', prototype, property) ?? 'string';
      if (derived.type === Object && !rules.some((rule) => rule.name === 'nestedValidation' || rule.name === 'isObject')) derived.type = 'string';
      // @IsOptional lets null through as it does undefined, and ValidateIf(v !== null) takes null to clear a field
      if (rules.some((rule) => rule.type === 'conditionalValidation')) derived.nullable = true;
      const merged = { ...derived, ...explicit };
      const names = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, prototype) as string[] | undefined) ?? [];
      if (!names.includes(`:${property}`)) Reflect.defineMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, [...names, `:${property}`], prototype);
      Reflect.defineMetadata(DECORATORS.API_MODEL_PROPERTIES, merged, prototype, property);
    }
  }
}

/** The statuses a refusal can take, by kind of operation; a dialect's writer may answer some with another. */
const READ_REFUSALS = [400, 401, 403, 404, 429, 503];
const WRITE_REFUSALS = [...READ_REFUSALS, 409, 413, 415, 422];

/** Open Loyalty's ErrorBody (errors.filter.ts), the engine's own error format. */
export const ERROR_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string', description: "the ledger's or the kit's stable reason code, e.g. insufficient_points" },
    errors: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
    details: { type: 'object', additionalProperties: true },
  },
};

/** RFC 6749 §5.2, which the token endpoints answer bad grants with. */
const OAUTH_ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
};

/** A path template with a sample in each parameter, for matching it against the writers' prefixes. */
function samplePath(template: string): string {
  return template.replace(/\{[^}]+\}/g, 'x');
}

function pathParameter(name: string): ParameterObject {
  const pattern = name === 'storeCode' ? STORE_CODE_PATTERN : ID_PATTERN;
  const description = name === 'storeCode' ? 'Store code (unique in the tenant of the token)' : undefined;
  return { name, in: 'path', required: true, ...(description ? { description } : {}), schema: { type: 'string', pattern: pattern.source } };
}

/**
 * Completes the generated document so a client generator or a fuzzer can rely on it: every path
 * parameter declared with its pattern, each operation's refusals with the body its dialect writes
 * them in (the dialect's ErrorWriter states its schema), and request bodies required.
 */
export function completeOpenApiDocument(document: OpenAPIObject, writers: ErrorWriters): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method] as OperationObject | undefined;
      if (!operation) continue;
      const parameters = (operation.parameters ?? []) as ParameterObject[];
      for (const name of names) {
        const declared = parameters.find((parameter) => parameter.in === 'path' && parameter.name === name);
        if (!declared) parameters.unshift(pathParameter(name));
        else if (declared.schema && !('$ref' in declared.schema) && !declared.schema.pattern) declared.schema = { ...declared.schema, ...pathParameter(name).schema };
      }
      operation.parameters = parameters;
      if (operation.requestBody && !('$ref' in operation.requestBody)) {
        const bodyType = JSON.stringify(operation.requestBody.content ?? {}).match(/#\/components\/schemas\/([^"]+)/)?.[1];
        operation.requestBody.required = !(bodyType && OPTIONAL_BODIES.has(bodyType));
      }

      const writer = writers.for(samplePath(path));
      const statuses = method === 'get' ? READ_REFUSALS : WRITE_REFUSALS;
      for (const asked of statuses) {
        const status = writer?.statusOf?.(asked) ?? asked;
        const key = String(status);
        const schema = writer?.schemaOf?.(status) ?? (path.endsWith('/oauth/token') ? { anyOf: [ERROR_BODY_SCHEMA, OAUTH_ERROR_SCHEMA] } : ERROR_BODY_SCHEMA);
        const response = (operation.responses[key] ?? { description: STATUS_NAMES[status] ?? 'Error' }) as ResponseObject;
        if (!response.content) response.content = { 'application/json': { schema } };
        operation.responses[key] = response;
      }
    }
  }
  addLinks(document);
  return document;
}

/** A response field that names what a path parameter takes: its own name, or Open Loyalty's transfer id. */
const LINKED_FIELDS: Readonly<Record<string, string>> = { transfer: 'pointsTransferId', customerId: 'customerId' };

/**
 * OpenAPI links from an operation whose answer carries an id (a transfer's, a customer's) to the
 * operations that take that id in their path, with the other path parameters taken from the request:
 * a client generator or a stateful fuzzer can chain them (add points, then cancel that transfer).
 */
function addLinks(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const fieldsOf = (response: ResponseObject | undefined): string[] => {
    const schema = response?.content?.['application/json']?.schema as SchemaObject | { $ref: string } | undefined;
    const resolved = schema && '$ref' in schema ? (schemas[schema.$ref.split('/').pop()!] as SchemaObject | undefined) : schema;
    return Object.keys(resolved?.properties ?? {});
  };
  const targets = Object.entries(document.paths).flatMap(([path, item]) =>
    (['get', 'put', 'post', 'delete', 'patch'] as const)
      .filter((method) => item[method]?.operationId)
      .map((method) => ({ path, operationId: item[method]!.operationId!, names: [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]) })),
  );
  for (const [path, item] of Object.entries(document.paths)) {
    const own = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]));
    for (const method of ['post', 'put', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!status.startsWith('2')) continue;
        const fields = fieldsOf(response as ResponseObject);
        for (const target of targets) {
          // same dialect: the target's other path parameters are this request's
          const linked = target.names.filter((name) => !own.has(name));
          if (target.path === path || linked.length !== 1 || !fields.includes(LINKED_FIELDS[linked[0]] ?? '')) continue;
          if (target.path.split('/')[1] !== path.split('/')[1]) continue;
          const parameters = Object.fromEntries(
            target.names.map((name) => [name, name === linked[0] ? `$response.body#/${LINKED_FIELDS[name]}` : `$request.path.${name}`]),
          );
          const links = ((response as ResponseObject).links ??= {});
          links[target.operationId] = { operationId: target.operationId, parameters };
        }
      }
    }
  }
}
