import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

export interface FieldError {
  /** the field as a form names it, e.g. "transfer[points]" */
  field: string;
  message: string;
  /** the same field as path parts (["transfer", "points"]), for dialects that name fields otherwise */
  path?: string[];
  /** the class-validator constraint that failed (isDefined, isInt, maxLength, ...), for dialects that code errors by kind */
  constraint?: string;
}

/** A request whose fields failed validation: answered 400 with one message per field. */
export class RequestValidationError extends Error {
  override name = 'RequestValidationError';
  constructor(readonly fields: FieldError[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
  }
}

/** "transfer" + "points" -> "transfer[points]", the form-field spelling our dialects document. */
function fieldName(path: string[]): string {
  const [head, ...rest] = path;
  return head + rest.map((p) => `[${p}]`).join('');
}

export function flattenValidationErrors(errors: ValidationError[], parents: string[] = []): FieldError[] {
  return errors.flatMap((error) => {
    const path = [...parents, error.property];
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({ field: fieldName(path), message, path, constraint }));
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}

const OPTIONAL_BODY = Symbol('optional-body');
/** Names of the DTOs a request may leave out entirely, for the OpenAPI document. */
export const OPTIONAL_BODIES = new Set<string>();

/** The body this DTO describes may be left out (it is then taken as `{}`), e.g. Emporix's open-account body. */
export function OptionalBody(): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(OPTIONAL_BODY, true, target);
    OPTIONAL_BODIES.add(target.name);
  };
}

/** Does the DTO have a field that must be given (one without @IsOptional)? */
function hasRequiredField(metatype: Function): boolean {
  const rules = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
  const optional = new Set(rules.filter((rule) => rule.name === 'isOptional').map((rule) => rule.propertyName));
  return rules.some((rule) => rule.type !== 'whitelistValidation' && !optional.has(rule.propertyName));
}

/**
 * @IsOptional lets null through as it does undefined: a null in a field only @IsOptional guards is
 * dropped, so it means "left out" everywhere downstream (a null comment never reaches the ledger).
 * Fields that take null on purpose (ValidateIf(v !== null): clear the value) keep it.
 */
function dropOptionalNulls(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) return value.forEach(dropOptionalNulls);
  const rules = getMetadataStorage().getTargetValidationMetadatas(value.constructor, '', true, false);
  const record = value as Record<string, unknown>;
  for (const [property, field] of Object.entries(record)) {
    const own = rules.filter((rule) => rule.propertyName === property);
    const optionalOnly = own.some((rule) => rule.name === 'isOptional') && !own.some((rule) => rule.type === 'conditionalValidation' && rule.name !== 'isOptional');
    if (field === null && optionalOnly) delete record[property];
    else dropOptionalNulls(field);
  }
}

/**
 * ValidationPipe, except that a body a DTO describes may not be left out: it is validated as `{}`, so
 * the answer names the fields that are required, or, when every field is optional, refused as a whole.
 */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype as Function | undefined;
    if (metadata.type === 'body' && (value === undefined || value === null) && metatype && this.toValidate(metadata)) {
      if (!Reflect.getMetadata(OPTIONAL_BODY, metatype) && !hasRequiredField(metatype)) {
        throw new RequestValidationError([{ field: 'body', message: 'is required: send the request body', constraint: 'isDefined' }]);
      }
      return super.transform({}, metadata);
    }
    const transformed: unknown = await super.transform(value, metadata);
    if (metadata.type !== 'custom') dropOptionalNulls(transformed);
    return transformed;
  }
}

/**
 * A hand-written check of one DTO for a hot route: returns the DTO instance class-validator would
 * return (unknown fields stripped) when it is sure the body is valid, else undefined. Undefined is no
 * refusal: the body then goes the full class-validator way, which writes every per-field message, so
 * a check only has to be right about what it accepts.
 */
export type FastBodyCheck = (body: unknown) => object | undefined;

const fastBodyChecks = new Map<Function, FastBodyCheck>();

/** Registers `check` for bodies of type `dto` (next to the DTO, which the check must accept no more loosely than). */
export function registerFastBodyCheck(dto: Function, check: FastBodyCheck): void {
  fastBodyChecks.set(dto, check);
}

/** The global pipe: the fast checks of the hot routes' bodies first, then class-validator as above. */
class LoyaltyValidationPipe extends RequestValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const check = metadata.type === 'body' && metadata.metatype ? fastBodyChecks.get(metadata.metatype) : undefined;
    return check?.(value) ?? super.transform(value, metadata);
  }
}

const PIPE_OPTIONS = {
  transform: true,
  whitelist: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  exceptionFactory: (errors: ValidationError[]) => new RequestValidationError(flattenValidationErrors(errors)),
};

export function validationPipe(): ValidationPipe {
  return new LoyaltyValidationPipe(PIPE_OPTIONS);
}

/** The same pipe without the fast checks: what every fast check must agree with. */
export function fullValidationPipe(): ValidationPipe {
  return new RequestValidationPipe(PIPE_OPTIONS);
}
