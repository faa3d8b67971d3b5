import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { InvalidPointsError, parsePoints } from '@app/ledger';

function refusal(value: unknown): string | undefined {
  try {
    parsePoints(value);
    return undefined;
  } catch (error) {
    return error instanceof InvalidPointsError ? error.reason : 'must be a number of points';
  }
}

/** An amount of points as the ledger accepts it: > 0, at most 2 decimals, at most 999,999,999. */
export function IsPoints(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPoints',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => refusal(value) === undefined,
        defaultMessage: (args: ValidationArguments) => refusal(args.value) ?? 'must be a number of points',
      },
    });
  };
}

/** Ids end up inside stream names, so they may not contain ':' or whitespace. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
export const ID_MESSAGE = 'must be 1-128 letters, digits or . _ @ + - (starting with a letter or digit)';
