import type { FastifyRequest } from 'fastify';

/** The languages Salla answers in: Arabic unless the request asks for English. */
export type SallaLocale = 'ar' | 'en';

export function localeOf(request: FastifyRequest): SallaLocale {
  const header = request.headers['accept-language'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim().toLowerCase() ?? '';
  return first === 'en' || first.startsWith('en-') ? 'en' : 'ar';
}

/** Per-field validation messages, by key (the DTO's messages), worded as Salla's Laravel validator words them. */
const FIELD_MESSAGES = {
  required: { ar: (f: string) => `حقل ${f} مطلوب`, en: (f: string) => `The ${f} field is required.` },
  invalid: { ar: (f: string) => `حقل ${f} غير صالح`, en: (f: string) => `The ${f} field is invalid.` },
  number: { ar: (f: string) => `حقل ${f} يجب أن يكون رقماً بمنزلتين عشريتين على الأكثر`, en: (f: string) => `The ${f} must be a number with at most 2 decimal places.` },
  points_range: { ar: (f: string) => `يجب أن تكون قيمة حقل ${f} بين 1 و 999999`, en: (f: string) => `The ${f} must be between 1 and 999999.` },
  boolean: { ar: (f: string) => `حقل ${f} يجب أن يكون true أو false`, en: (f: string) => `The ${f} field must be true or false.` },
  type: { ar: (f: string) => `حقل ${f} يجب أن يكون plus أو minus`, en: (f: string) => `The selected ${f} is invalid: plus or minus.` },
  string: { ar: (f: string) => `حقل ${f} يجب أن يكون نصاً`, en: (f: string) => `The ${f} must be a string.` },
  too_long: { ar: (f: string) => `حقل ${f} طويل جداً`, en: (f: string) => `The ${f} is too long.` },
  channel: { ar: (f: string) => `حقل ${f} يقبل email و sms و mobile فقط`, en: (f: string) => `The ${f} may only hold email, sms and mobile.` },
  too_many: { ar: (f: string) => `حقل ${f} يحتوي على عدد كبير جداً من العناصر`, en: (f: string) => `The ${f} has too many items.` },
  minus_with_reset: {
    ar: (f: string) => `لا يمكن خصم ${f} مع إعادة تعيين الرصيد`,
    en: (f: string) => `The ${f} cannot be deducted when reset_points is true.`,
  },
} as const;

export type SallaMessage = keyof typeof FIELD_MESSAGES;

export function fieldMessage(key: string, field: string, locale: SallaLocale): string {
  const words = FIELD_MESSAGES[key as SallaMessage] ?? FIELD_MESSAGES.invalid;
  return words[locale](field);
}

export const SALLA_TEXT = {
  updated: { ar: 'تم تحديث نقاط الولاء للعملاء بنجاح', en: "The customers' loyalty points were updated successfully" },
  failed: { ar: 'حدث خطأ أثناء تحديث نقاط الولاء للعملاء', en: "An error occurred while updating the customers' loyalty points" },
  /** Salla's validation envelope carries its translation key as the message */
  invalidFields: { ar: 'alert.invalid_fields', en: 'alert.invalid_fields' },
} as const;

/** A customer left unchanged, in the request's language; the code stays the ledger's. */
export function refusalMessage(code: string, fallback: string, locale: SallaLocale): string {
  const known: Record<string, Record<SallaLocale, string>> = {
    insufficient_points: { ar: 'رصيد نقاط العميل غير كافٍ للخصم', en: "The customer's points are not enough to deduct" },
    account_not_found: { ar: 'لا يوجد رصيد نقاط لهذا العميل', en: 'The customer has no points account' },
    account_closed: { ar: 'حساب نقاط العميل مغلق', en: "The customer's points account is closed" },
  };
  return known[code]?.[locale] ?? fallback;
}
