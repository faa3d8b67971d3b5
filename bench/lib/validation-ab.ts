/**
 * In-process A/B of the hot add body through the global pipe: class-validator alone against the fast
 * check (apps/api/src/http/validation.ts), process CPU per body, rounds side by side:
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/lib/validation-ab.ts
 */
import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { flattenValidationErrors, RequestValidationError, validationPipe } from '../../apps/api/src/http/validation';
import { AddTransferRequest } from '../../apps/api/src/dialects/open-loyalty/transfer.dto';
const slow = new ValidationPipe({ transform: true, whitelist: true, forbidUnknownValues: true, stopAtFirstError: true, exceptionFactory: (e) => new RequestValidationError(flattenValidationErrors(e)) });
const fast = validationPipe();
const meta = { type: 'body' as const, metatype: AddTransferRequest };
async function run(p: ValidationPipe, n: number): Promise<number> {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await p.transform({ transfer: { customer: `c-${i % 10000}`, points: 10 } }, meta);
  const u = process.cpuUsage(t); return (u.user + u.system) / 1000 / n;
}
(async () => {
  await run(slow, 5000); await run(fast, 5000);
  for (let r = 0; r < 5; r++) console.log(`round ${r}: class-validator ${(await run(slow, 20000)).toFixed(4)} ms CPU/body, fast check ${(await run(fast, 20000)).toFixed(4)} ms CPU/body`);
})();
