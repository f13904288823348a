import MiniSearch from 'minisearch';
import { taggedTerms } from './lexicon.ts';
import { contentWords, fold } from './text.ts';

/** A workspace document: a markdown file as given (FAQ, pricing notes, pages), or plain text. */
export interface KnowledgeDocument {
  file: string;
  markdown: string;
  /** The document's title: the heading of the text before its first `## ` heading. */
  title?: string;
  /** Plain text is one section under its title (no heading syntax is read); markdown by default. */
  format?: 'markdown' | 'text';
}

/** An answer taken from the workspace's content, with the section it came from. */
export interface KnowledgeAnswer {
  text: string;
  source: { file: string; heading: string };
}

/** A section as retrieved for a question. */
export interface KnowledgePassage {
  id: string;
  heading: string;
  text: string;
}

/** Answers visitors' questions from a workspace's documents; `null` means "I don't know". */
export interface KnowledgeBase {
  answer(question: string): KnowledgeAnswer | null;
  /**
   * The best-ranked sections for a question (BM25, no coverage gate), for a model to write its answer
   * from or decline; `id` is `file#heading`.
   */
  search(question: string, limit?: number): KnowledgePassage[];
  /** How many sections were indexed. */
  readonly sections: number;
}

interface Section {
  id: number;
  file: string;
  heading: string;
  text: string;
}

// Words a visitor uses for the same thing the content names differently ("cost" for "pricing").
const SYNONYMS: Record<string, string> = {
  price: 'price',
  cost: 'price',
  costs: 'price',
  pricing: 'price',
  prices: 'price',
  priced: 'price',
  charge: 'price',
  fee: 'price',
  fees: 'price',
  expensive: 'price',
  pay: 'price',
  plan: 'plan',
  plans: 'plan',
  tier: 'plan',
  tiers: 'plan',
  user: 'seat',
  users: 'seat',
  seats: 'seat',
  licence: 'seat',
  license: 'seat',
  licenses: 'seat',
  cancel: 'cancel',
  cancellation: 'cancel',
  terminate: 'cancel',
  integrate: 'integration',
  integrates: 'integration',
  integrations: 'integration',
  connect: 'integration',
  connects: 'integration',
  sync: 'integration',
  refunds: 'refund',
  refunded: 'refund',
  trial: 'trial',
  gdpr: 'gdpr',
  onboard: 'onboarding',
  setup: 'onboarding',
  implementation: 'onboarding',
  implement: 'onboarding',
  languages: 'language',
  support: 'support',
  contracts: 'contract',
  commitment: 'contract',
  discounts: 'discount',
  host: 'hosting',
  hosted: 'hosting',
  data: 'data',
  anytime: 'time',
  annual: 'year',
  annually: 'year',
  yearly: 'year',
  annum: 'year',
  monthly: 'month',
  try: 'trial',
  tri: 'trial',
  tryout: 'trial',
  whenever: 'time',
};

// Question words and generic verbs that say nothing about the topic.
const QUESTION_WORDS = new Set(
  (
    'what which who whom whose when where why how can could would will should does did do is are was were ' +
    'there any anything tell know please much many offer offered provide available work works use using get ' +
    'need want like able possible also still happen happens if whats doesn don isn aren won whole usually ' +
    'exactly actually really currently please kind take takes'
  ).split(' '),
);

// "How long does setup take", "how often does it sync": the words after "how" ask, they name no topic.
const HOW_FRAMING =
  /\bhow (?:long|often|much|many|soon|fast|quickly|frequently)\b(?: (?:does it|does|do|will it|will|would it) take\b)?/giu;
// Abbreviations visitors use for what content usually spells out.
const SPELLED_OUT: Record<string, string> = {
  sso: 'single sign-on',
  dpa: 'data processing agreement',
  sla: 'service level agreement',
  roi: 'return on investment',
  poc: 'proof of concept',
};
const ABBREVIATION = new RegExp(`\\b(${Object.keys(SPELLED_OUT).join('|')})\\b`, 'giu');

/** The question with its framing words dropped and known abbreviations spelled out. */
function topicOf(question: string): string {
  return question
    .replace(HOW_FRAMING, 'how')
    .replace(ABBREVIATION, (word) => SPELLED_OUT[word.toLowerCase()] ?? word);
}

/**
 * A light stemmer, the same for questions and content: "tried"/"try", "cancelled"/"cancel",
 * "yearly"/"year", "companies"/"company" meet; what it conflates besides is harmless for ranking.
 */
function stem(word: string): string {
  if (word.length <= 4) return word;
  if (/(?:ies|ied)$/u.test(word)) return `${word.slice(0, -3)}y`;
  let root = word.length > 5 ? word.replace(/ly$/u, '') : word;
  root = root.replace(/(?:ing|ed|es|e|s)$/u, '');
  // "cancell", "plann", "shipp": a doubled consonant left by the suffix.
  if (root.length > 3 && /([b-df-hj-np-tv-z])\1$/u.test(root) && !/(?:ss|zz)$/u.test(root))
    root = root.slice(0, -1);
  return root;
}

/** The folded content words of a question that are not question framing. */
function askedWords(text: string): string[] {
  return contentWords(text).filter((word) => !QUESTION_WORDS.has(word));
}

/** A word's term: stemmed, with synonyms mapped to one word. */
function termOf(word: string): string {
  const root = stem(word);
  return SYNONYMS[word] ?? SYNONYMS[root] ?? root;
}

/** Folded, stop-worded, stemmed terms with synonyms mapped to one word. */
function termsOf(text: string): string[] {
  return askedWords(text).map(termOf);
}

/**
 * Whether a word names a thing rather than an action or a quality: a topic of the synonym map, or a
 * word compromise's lexicon reads, on its own, as a noun and never as a verb ("agents", "backups",
 * "weekends"; not "run", "keep", "offer"). Asked only of the few words a passage does not cover.
 */
function namesAThing(word: string): boolean {
  const [term] = taggedTerms(word);
  const tags = term?.tags ?? [];
  return tags.includes('Noun') && !tags.includes('Verb') && !tags.includes('Pronoun');
}

/** Splits markdown files into sections on `## ` headings; the text before the first one is its own section. */
export function splitSections(documents: readonly KnowledgeDocument[]): Section[] {
  const sections: Section[] = [];
  for (const { file, markdown, title, format } of documents) {
    if (format === 'text') {
      sections.push({ id: sections.length, file, heading: title ?? '', text: markdown.trim() });
      continue;
    }
    let heading = title ?? '';
    let lines: string[] = [];
    const flush = () => {
      const text = lines
        .join('\n')
        .replace(/^#\s+.*$/gmu, '')
        .trim();
      // A heading with no text under it (a title, a group of `###` parts) answers nothing.
      if (text !== '') sections.push({ id: sections.length, file, heading, text });
      lines = [];
    };
    for (const line of markdown.split(/\r?\n/)) {
      const match = /^##\s+(.+?)\s*#*\s*$/u.exec(line);
      if (match !== null && !line.startsWith('###')) {
        flush();
        heading = match[1] ?? '';
      } else lines.push(line);
    }
    flush();
  }
  return sections;
}

/** Plain sentences of a markdown section (bullets and emphasis removed). */
function sentencesOf(text: string): string[] {
  return text
    .replace(/^\s*(?:[-*+]|\d+\.)\s+/gmu, '')
    .replace(/[*_`]+/g, '')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .split(/(?<=[.!?])\s+|\n+/u)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !/^#+\s/u.test(s));
}

const MAX_WHOLE_SECTION = 500;

/**
 * A knowledge base over markdown documents: sections split on `## ` headings, ranked with BM25
 * (MiniSearch) on heading and text. It answers only when the best section covers at least half of
 * the question's topic words and every specific word of the question (a name, a number, a word the
 * content never uses) is in the content; otherwise `null`, and the bot offers a person. Offline the
 * answer is extractive: a short section whole, otherwise its sentences that share most words with the
 * question, in their order.
 */
export function createKnowledgeBase(documents: readonly KnowledgeDocument[]): KnowledgeBase {
  const sections = splitSections(documents);
  const index = new MiniSearch<Section>({
    fields: ['heading', 'text'],
    storeFields: ['file', 'heading', 'text'],
    processTerm: (term) => {
      const [mapped] = termsOf(term);
      return mapped ?? null;
    },
    searchOptions: { boost: { heading: 2 }, prefix: (term) => term.length >= 5, fuzzy: 0.15 },
  });
  index.addAll(sections);

  return {
    sections: sections.length,
    search(asked, limit = 3) {
      const question = topicOf(asked);
      const terms = [...new Set(termsOf(question))];
      if (terms.length === 0) return [];
      return index
        .search(terms.join(' '), { combineWith: 'OR' })
        .slice(0, limit)
        .map((hit) => {
          const section = sections[hit.id as number] as Section;
          return { id: `${section.file}#${section.heading}`, heading: section.heading, text: section.text };
        });
    },
    answer(asked) {
      const question = topicOf(asked);
      const terms = [...new Set(termsOf(question))];
      if (terms.length === 0) return null;
      // A word the content never uses, written with a capital or digits, names something it does not cover.
      const specific = contentWords(question).filter((word) => {
        const original = new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'iu').exec(
          question,
        )?.[0];
        return (
          original !== undefined &&
          (/\d/.test(original) || /^\p{Lu}/u.test(original)) &&
          question.indexOf(original) > 0
        );
      });
      const [best] = index.search(terms.join(' '), { combineWith: 'OR' });
      if (best === undefined) return null;
      const section = sections[best.id as number] as Section;
      const have = new Set(termsOf(`${section.heading} ${section.text}`));
      const covers = (term: string) =>
        have.has(term) || (term.length >= 5 && [...have].some((h) => h.startsWith(term)));
      // A name or number the question asks about must be in the passage that answers, not anywhere in
      // the content: "Google Contacts" is not answered by a CRM section because a calendar one says "Google".
      if (specific.some((word) => !covers(termOf(word)))) return null;
      const covered = terms.filter(covers);
      // More than half of the topic words: "mobile app" is not answered by a section about a Zapier app.
      if (covered.length / terms.length <= 0.5) return null;
      // A thing the question names that the passage does not mention ("agents" in "a limit on agents
      // per workspace") is allowed only when the passage is about the rest, its heading naming one of
      // them ("Mobile app" answers "a mobile app for iPhone"); a passage that merely mentions the other
      // words in passing (the API's "limited … per workspace") does not answer.
      const missing = askedWords(question).filter((word) => !covers(termOf(word)));
      if (missing.some(namesAThing)) {
        const heading = new Set(termsOf(section.heading));
        if (!covered.some((term) => heading.has(term))) return null;
      }
      return { text: extract(section, terms), source: { file: section.file, heading: section.heading } };
    },
  };
}

function extract(section: Section, terms: readonly string[]): string {
  const sentences = sentencesOf(section.text);
  const whole = sentences.join(' ');
  if (whole.length <= MAX_WHOLE_SECTION) return whole;
  const wanted = new Set(terms);
  const scored = sentences.map((sentence, i) => ({
    i,
    score: termsOf(sentence).filter((t) => wanted.has(t)).length,
  }));
  const top = scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, 3)
    .sort((a, b) => a.i - b.i);
  const chosen = (top.length > 0 ? top : scored.slice(0, 2)).map((s) => sentences[s.i] as string);
  return chosen.join(' ');
}

/** Whether a visitor message asks the bot something (a question mark, or a question opening). */
export function isQuestion(text: string): boolean {
  const folded = fold(text).trim();
  return (
    /\?\s*$/u.test(folded) ||
    /^(?:do|does|did|can|could|is|are|how|hows|what|whats|what's|which|will|would|should|when|where|why|who|have you|has it|any)\b.{8,}$/u.test(
      folded,
    ) ||
    // Asked as a statement: "I'd like to know if you are ISO certified", "tell me about your pricing".
    /\b(?:i'?d like to know|i would like to know|i want to know|i was wondering|i wonder|wondering (?:if|whether)|curious (?:if|whether|about)|tell me (?:about|if|whether|how|what|more about)|do you know (?:if|whether))\b/u.test(
      folded,
    )
  );
}
