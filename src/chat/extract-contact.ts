import { emailValueSchema } from './slot-values.ts';
import { fold, type Span } from './text.ts';

interface EmailMatch extends Span {
  value: string;
}

/** Email addresses and phone numbers found in a message. */
export interface ContactFindings {
  emails: EmailMatch[];
  phones: (Span & { value: string })[];
  /** Something that was meant as an email address but is not one (`jane@`, `jane.doe@acme`). */
  malformedEmail: boolean;
}

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,24}/gu;
const AT_TOKEN = /\S*@\S*/gu;
const EMAIL_WORD = /\b(?:e-?mail|mail|correo|courriel)\b/;
const PHONE = /(?<![\d\p{L}])(?:\+|00)?\d[\d\s()./-]{5,18}\d(?![\d\p{L}])/gu;
const PHONE_WORD =
  /\b(?:phone|call me|call us|ring me|reach me|mobile|cell|tel|telephone|whatsapp|number|telefon|handy|nummer|telefono|movil|numero|portable|appelez)\b[^\d+]{0,25}$/;
const US_PHONE = /^\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}$/;

/**
 * Email addresses and phone numbers. Phones need a `+`/`00` prefix, a phone word before them
 * ("call me on"), the US layout, or `expectingPhone`; so budgets and dates are not read as phones.
 */
export function extractContact(text: string, expectingPhone = false): ContactFindings {
  const emails: EmailMatch[] = [];
  for (const m of text.matchAll(EMAIL)) {
    const value = m[0].replace(/[.'-]+$/, '').toLowerCase();
    if (emailValueSchema.safeParse(value).success)
      emails.push({ start: m.index, end: m.index + value.length, value });
  }
  let malformedEmail = false;
  for (const m of text.matchAll(AT_TOKEN)) {
    const covered = emails.some((e) => e.start < m.index + m[0].length && m.index < e.end);
    if (!covered && /[\p{L}\p{N}]@|@[\p{L}\p{N}]/u.test(m[0])) malformedEmail = true;
  }
  if (!malformedEmail && emails.length === 0 && EMAIL_WORD.test(fold(text))) {
    malformedEmail =
      /\b[\p{L}\p{N}._-]+\s*(?:\(at\)|\[at\]| at )\s*[\p{L}\p{N}-]+\s*(?:\(dot\)|\[dot\]| dot |\.)\s*\p{L}{2,}/u.test(
        text,
      );
  }
  const phones: (Span & { value: string })[] = [];
  const folded = fold(text);
  for (const m of text.matchAll(PHONE)) {
    const raw = m[0].trim();
    const digits = raw.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) continue;
    if (emails.some((e) => e.start <= m.index && m.index < e.end)) continue;
    if (
      /^\d{1,3}([.,]\d{3})+$/.test(raw) ||
      /^\d{4}-\d{2}-\d{2}$/.test(raw) ||
      /^\d{1,2}[./]\d{1,2}[./]\d{2,4}$/.test(raw)
    )
      continue;
    const international = /^(?:\+|00)/.test(raw);
    const cued = PHONE_WORD.test(folded.slice(Math.max(0, m.index - 40), m.index));
    if (!international && !cued && !US_PHONE.test(raw) && !expectingPhone) continue;
    const value = international ? `+${digits.replace(/^00/, '')}` : digits;
    phones.push({ start: m.index, end: m.index + m[0].length, value });
  }
  return { emails, phones, malformedEmail };
}
