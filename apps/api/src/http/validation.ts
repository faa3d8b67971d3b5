import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';

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

/** The global pipe: class-validator, behind the fast checks of the hot routes' bodies. */
class LoyaltyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const check = metadata.type === 'body' && metadata.metatype ? fastBodyChecks.get(metadata.metatype) : undefined;
    return check?.(value) ?? super.transform(value, metadata);
  }
}

export function validationPipe(): ValidationPipe {
  return new LoyaltyValidationPipe({
    transform: true,
    whitelist: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => new RequestValidationError(flattenValidationErrors(errors)),
  });
}
