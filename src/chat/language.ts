import { LANGUAGES, type Language } from './playbook-schema.ts';
import { fold } from './text.ts';

const MARKERS: Record<Language, Set<string>> = {
  en: new Set(
    'the and is are we our i my you to of for with need want looking have has our budget team company about would like this that it be in'.split(
      ' ',
    ),
  ),
  de: new Set(
    'und ist sind wir unser unsere ich mein meine nicht das die der den dem mit fur brauchen suchen haben ein eine einen zu auch bis nachstes mitarbeiter ja nein bin'.split(
      ' ',
    ),
  ),
  es: new Set(
    'el los las y es son nosotros necesitamos para con un una nuestro nuestra tenemos soy somos que por pero empresa presupuesto queremos si estamos muy'.split(
      ' ',
    ),
  ),
  fr: new Set(
    'le les et est sont nous je pour avec un une notre nos avons suis sommes des du au besoin cherchons entreprise oui mais tres voulons'.split(
      ' ',
    ),
  ),
};

/**
 * The language a message is most likely written in, by counting common words; undefined when
 * the message is too short or the signal too weak to switch languages on.
 */
export function detectLanguage(text: string): Language | undefined {
  const words = fold(text).match(/[\p{L}']+/gu) ?? [];
  if (words.length < 3) return undefined;
  const scores = LANGUAGES.map((language) => ({
    language,
    score: words.filter((w) => MARKERS[language].has(w)).length,
  })).sort((a, b) => b.score - a.score);
  const [first, second] = scores;
  if (first === undefined || first.score < 2) return undefined;
  if (second !== undefined && first.score < second.score * 2) return undefined;
  return first.language;
}

/** The supported language of a BCP 47 tag (`de-AT` → `de`), if any. */
export function languageOfLocale(locale: string | undefined): Language | undefined {
  const primary = locale?.toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.find((language) => language === primary);
}
