import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { fullValidationPipe, RequestValidationError, validationPipe } from '../../http/validation';
import { AddTransferFields, AddTransferRequest, TransferFields, TransferRequest } from './transfer.dto';

/** the pipe without the fast checks: class-validator, with the engine's rules for left-out bodies and nulls */
const classValidator = fullValidationPipe();
const pipe = validationPipe();
const body = (metatype: Function): ArgumentMetadata => ({ type: 'body', metatype: metatype as ArgumentMetadata['metatype'] });

async function outcome(run: ValidationPipe, value: unknown, metatype: Function): Promise<{ value?: unknown; fields?: unknown }> {
  try {
    return { value: await run.transform(structuredClone(value), body(metatype)) };
  } catch (error) {
    return { fields: (error as RequestValidationError).fields };
  }
}

const CUSTOMER = 'b9af6a8c-9cc5-4924-989c-e4af614ab2a3';
const BODIES: unknown[] = [
  { transfer: { customer: CUSTOMER, points: 10 } },
  { transfer: { customer: CUSTOMER, points: '10.25', comment: 'welcome' } },
  { transfer: { customer: CUSTOMER, points: 10, comment: null } },
  { transfer: { customer: CUSTOMER, points: 10 }, extra: 'dropped' },
  { transfer: { customer: CUSTOMER, points: 10, validityDays: '30' } },
  { transfer: { customer: CUSTOMER, points: 10, validUntil: '2026-13-01' } },
  { transfer: { customer: CUSTOMER, points: 10, unknown: 1 } },
  { transfer: { customer: CUSTOMER, points: 0 } },
  { transfer: { customer: CUSTOMER, points: 1.234 } },
  { transfer: { customer: CUSTOMER, points: 'ten' } },
  { transfer: { customer: CUSTOMER, points: null } },
  { transfer: { customer: CUSTOMER } },
  { transfer: { customer: 'has space', points: 1 } },
  { transfer: { customer: 42, points: 1 } },
  { transfer: { customer: CUSTOMER, points: 1, comment: 'x'.repeat(256) } },
  { transfer: { customer: CUSTOMER, points: 1, comment: 7 } },
  { transfer: [CUSTOMER, 1] },
  { transfer: 'x' },
  {},
  [],
];

describe('the Open Loyalty add, spend and block bodies through the fast checks', () => {
  it.each([
    ['add', AddTransferRequest, AddTransferFields],
    ['spend and block', TransferRequest, TransferFields],
  ])('%s: every body gets what class-validator alone gives, the same instance or the same per-field messages', async (_route, Request, Fields) => {
    for (const value of BODIES) {
      const fast = await outcome(pipe, value, Request);
      expect({ value, ...fast }).toEqual({ value, ...(await outcome(classValidator, value, Request)) });
      if (fast.value !== undefined) {
        expect(fast.value).toBeInstanceOf(Request);
        expect((fast.value as { transfer: unknown }).transfer).toBeInstanceOf(Fields);
      }
    }
  });

  it('answers the usual bodies without class-validator, and leaves the rest to it', async () => {
    const validate = jest.spyOn(ValidationPipe.prototype, 'transform');
    await pipe.transform({ transfer: { customer: CUSTOMER, points: 10 } }, body(AddTransferRequest));
    expect(validate).not.toHaveBeenCalled();
    await pipe.transform({ transfer: { customer: CUSTOMER, points: 10, validityDays: '30' } }, body(AddTransferRequest));
    expect(validate).toHaveBeenCalledTimes(1);
    validate.mockRestore();
  });
});
