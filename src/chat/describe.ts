import { assertNever } from '../core/index.ts';
import { parseIsoDate, toMs } from './dates.ts';
import { authorityLabel, localized } from './phrases.ts';
import type { Language, Question } from './playbook-schema.ts';
import { type AuthorityLevel, isCompanySize, isMoney, isTimeline, type SlotValue } from './slot-values.ts';

const LOCALES: Record<Language, string> = { en: 'en-US', de: 'de-DE', es: 'es-ES', fr: 'fr-FR' };
interface Words {
  upTo: string;
  by: string;
  employees: string;
  month: string;
  quarter: string;
  year: string;
  seat: string;
}
const WORDS: Record<Language, Words> = {
  en: {
    upTo: 'up to',
    by: 'by',
    employees: 'employees',
    month: 'a month',
    quarter: 'a quarter',
    year: 'a year',
    seat: 'per seat',
  },
  de: {
    upTo: 'bis zu',
    by: 'bis',
    employees: 'Mitarbeitende',
    month: 'pro Monat',
    quarter: 'pro Quartal',
    year: 'pro Jahr',
    seat: 'pro Platz',
  },
  es: {
    upTo: 'hasta',
    by: 'para el',
    employees: 'empleados',
    month: 'al mes',
    quarter: 'al trimestre',
    year: 'al año',
    seat: 'por usuario',
  },
  fr: {
    upTo: 'jusqu’à',
    by: 'd’ici le',
    employees: 'employés',
    month: 'par mois',
    quarter: 'par trimestre',
    year: 'par an',
    seat: 'par utilisateur',
  },
};

function money(amount: number, currency: string, language: Language): string {
  try {
    return new Intl.NumberFormat(LOCALES[language], {
      style: 'currency',
      currency,
      maximumFractionDigits: 0,
    }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** A slot value as the visitor would say it, in their language (`$50,000`, `by March 31, 2027`). */
export function describeValue(
  question: Question,
  value: SlotValue,
  language: Language,
  seed: string,
): string {
  const words = WORDS[language];
  switch (question.type) {
    case 'money': {
      if (!isMoney(value)) return String(value);
      const per = [
        value.unit === 'seat' ? words.seat : '',
        value.period === undefined || value.period === 'one_off' ? '' : words[value.period],
      ]
        .filter((part) => part !== '')
        .map((part) => ` ${part}`)
        .join('');
      if (value.min === value.max) return `${money(value.max, value.currency, language)}${per}`;
      if (value.min === 0) return `${words.upTo} ${money(value.max, value.currency, language)}${per}`;
      return `${money(value.min, value.currency, language)}–${money(value.max, value.currency, language)}${per}`;
    }
    case 'timeline': {
      const date = isTimeline(value) ? parseIsoDate(value.byDate) : undefined;
      if (date === undefined) return String(value);
      const formatted = new Intl.DateTimeFormat(LOCALES[language], {
        dateStyle: 'long',
        timeZone: 'UTC',
      }).format(toMs(date));
      return `${words.by} ${formatted}`;
    }
    case 'role':
      return authorityLabel(language, value as AuthorityLevel);
    case 'company_size': {
      if (!isCompanySize(value)) return String(value);
      const range = value.min === value.max ? `${value.max}` : `${value.min}–${value.max}`;
      return `${range} ${words.employees}`;
    }
    case 'enum': {
      const option = question.options.find((o) => o.value === value);
      return option === undefined ? String(value) : localized(option.label, language, seed);
    }
    case 'email':
    case 'phone':
    case 'text':
      return String(value);
    default:
      return assertNever(question, 'question');
  }
}

/** How a slot is named in confirmations: the question's label, or its slot name in words. */
export function describeSlot(question: Question, language: Language, seed: string): string {
  return question.label === undefined
    ? question.slot.replace(/_/g, ' ')
    : localized(question.label, language, seed);
}

/** "a, b and c" in the language. */
export function joinList(items: readonly string[], language: Language): string {
  const and = { en: 'and', de: 'und', es: 'y', fr: 'et' }[language];
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}
