import { type Playbook, type PlaybookInput, playbookSchema, type QuestionInput } from './playbook-schema.ts';

const CONSENT = {
  textVersion: 'chat-followup-2026-11',
  purposes: ['sales_contact', 'product_updates'],
  text: {
    en: 'May we contact you at {email} about this enquiry and send related product information? (yes/no)',
    de: 'Dürfen wir Sie unter {email} zu Ihrer Anfrage kontaktieren und passende Produktinformationen senden? (ja/nein)',
    es: '¿Podemos contactarte en {email} sobre tu consulta y enviarte información de productos relacionada? (sí/no)',
    fr: 'Pouvons-nous vous contacter à {email} au sujet de votre demande et vous envoyer des informations produit ? (oui/non)',
  },
};

const NEED = {
  type: 'text',
  cue: 'need',
  label: { en: 'your need', de: 'Ihren Bedarf', es: 'tu necesidad', fr: 'votre besoin' },
  points: { present: 20 },
} as const;

const AUTHORITY: QuestionInput = {
  slot: 'authority',
  type: 'role',
  subject: 'self',
  prompt: {
    en: [
      "What's your role, and are you involved in the buying decision?",
      'What is your role at the company?',
    ],
    de: 'Welche Rolle haben Sie im Unternehmen, und sind Sie an der Kaufentscheidung beteiligt?',
    es: '¿Cuál es tu cargo y participas en la decisión de compra?',
    fr: 'Quel est votre rôle, et participez-vous à la décision d’achat ?',
  },
  label: { en: 'your role', de: 'Ihre Rolle', es: 'tu cargo', fr: 'votre rôle' },
  points: { levels: { executive: 25, vp: 20, director: 15, manager: 10, individual: 5 } },
};

const TIMELINE_POINTS = {
  tiers: [
    { withinDays: 90, points: 25 },
    { withinDays: 180, points: 15 },
    { withinDays: 365, points: 5 },
  ],
};

const TIMELINE_PROMPT = {
  en: ['When would you like to have a solution in place?', 'What timeline are you working towards?'],
  de: 'Bis wann möchten Sie eine Lösung im Einsatz haben?',
  es: '¿Para cuándo te gustaría tener una solución?',
  fr: 'Pour quand souhaitez-vous avoir une solution en place ?',
};

const BUDGET_POINTS = {
  tiers: [
    { atLeast: 50_000, points: 30 },
    { atLeast: 10_000, points: 20 },
    { atLeast: 2_000, points: 10 },
  ],
};

const BUDGET_PROMPT = {
  en: [
    'Do you have a budget in mind for this? A rough range is fine.',
    'What budget have you set aside for this? A ballpark is fine.',
  ],
  de: 'Haben Sie ein Budget dafür eingeplant? Eine grobe Spanne genügt.',
  es: '¿Tienes un presupuesto en mente? Un rango aproximado es suficiente.',
  fr: 'Avez-vous un budget en tête ? Une fourchette suffit.',
};

/** BANT: need, authority, timeline, budget. Qualified at 60 of 100 points with all four answered. */
export const BANT_INPUT: PlaybookInput = {
  id: 'bant',
  name: 'BANT',
  questions: [
    {
      ...NEED,
      slot: 'need',
      prompt: {
        en: [
          'What brings you here today? What are you hoping to solve?',
          'What can we help you with? What problem are you looking to solve?',
        ],
        de: 'Was führt Sie zu uns? Welches Problem möchten Sie lösen?',
        es: '¿Qué te trae por aquí? ¿Qué problema quieres resolver?',
        fr: 'Qu’est-ce qui vous amène ? Quel problème souhaitez-vous résoudre ?',
      },
      reask: {
        en: 'Could you describe in a sentence what you would like to improve? For example: "we lose leads because follow-up is slow".',
        de: 'Können Sie in einem Satz beschreiben, was Sie verbessern möchten?',
        es: '¿Puedes describir en una frase qué te gustaría mejorar?',
        fr: 'Pouvez-vous décrire en une phrase ce que vous souhaitez améliorer ?',
      },
    },
    AUTHORITY,
    {
      slot: 'timeline',
      type: 'timeline',
      prompt: TIMELINE_PROMPT,
      label: { en: 'your timeline', de: 'Ihren Zeitplan', es: 'tu plazo', fr: 'votre calendrier' },
      validation: { maxDaysAhead: 1100 },
      points: TIMELINE_POINTS,
    },
    {
      slot: 'budget',
      type: 'money',
      prompt: BUDGET_PROMPT,
      label: { en: 'your budget', de: 'Ihr Budget', es: 'tu presupuesto', fr: 'votre budget' },
      defaultCurrency: 'USD',
      points: BUDGET_POINTS,
    },
  ],
  consent: CONSENT,
  outcomes: {
    rules: [
      { outcome: 'disqualified', when: { slot: 'budget', below: 1_000 } },
      {
        outcome: 'qualified',
        when: { all: [{ minPoints: 60 }, { filled: ['need', 'authority', 'timeline', 'budget'] }] },
      },
      { outcome: 'nurture', when: { minPoints: 25 } },
    ],
    otherwise: 'disqualified',
  },
};

/** CHAMP: challenges first, then authority, money and prioritisation. */
const CHAMP_INPUT: PlaybookInput = {
  id: 'champ',
  name: 'CHAMP',
  questions: [
    {
      ...NEED,
      slot: 'challenges',
      label: { en: 'your challenges', de: 'Ihre Herausforderungen' },
      prompt: {
        en: 'What is the biggest challenge your team is facing right now?',
        de: 'Was ist aktuell die größte Herausforderung für Ihr Team?',
      },
      points: { present: 25 },
    },
    AUTHORITY,
    {
      slot: 'money',
      type: 'money',
      prompt: BUDGET_PROMPT,
      label: { en: 'your budget', de: 'Ihr Budget' },
      keywords: ['budget', 'money'],
      points: {
        tiers: [
          { atLeast: 50_000, points: 25 },
          { atLeast: 10_000, points: 15 },
          { atLeast: 2_000, points: 5 },
        ],
      },
    },
    {
      slot: 'prioritization',
      type: 'timeline',
      prompt: {
        en: 'How high is this on your list? By when does it need to be solved?',
        de: 'Wie dringend ist das Thema? Bis wann muss es gelöst sein?',
      },
      label: { en: 'your timeline', de: 'Ihren Zeitplan' },
      points: TIMELINE_POINTS,
    },
  ],
  consent: CONSENT,
  outcomes: {
    rules: [
      { outcome: 'disqualified', when: { slot: 'money', below: 1_000 } },
      { outcome: 'qualified', when: { all: [{ minPoints: 60 }, { filled: ['challenges', 'authority'] }] } },
      { outcome: 'nurture', when: { minPoints: 25 } },
    ],
    otherwise: 'disqualified',
  },
};

/** MEDDIC: pain, metrics, economic buyer, decision criteria and process, champion. */
const MEDDIC_INPUT: PlaybookInput = {
  id: 'meddic',
  name: 'MEDDIC',
  questions: [
    {
      ...NEED,
      slot: 'identify_pain',
      label: { en: 'the pain', de: 'das Problem' },
      prompt: { en: 'What problem are you trying to solve?', de: 'Welches Problem möchten Sie lösen?' },
      points: { present: 20 },
    },
    {
      slot: 'metrics',
      type: 'text',
      label: { en: 'the success metric', de: 'die Erfolgskennzahl' },
      prompt: {
        en: 'How would you measure success, for example "cut response time in half"?',
        de: 'Woran würden Sie Erfolg messen, z. B. „Reaktionszeit halbieren“?',
      },
      points: { present: 15 },
    },
    {
      slot: 'economic_buyer',
      type: 'role',
      subject: 'any',
      label: { en: 'who signs off', de: 'wer entscheidet' },
      prompt: { en: 'Who signs off on the budget for this?', de: 'Wer gibt das Budget dafür frei?' },
      points: { levels: { executive: 20, vp: 15, director: 10, manager: 5 } },
    },
    {
      slot: 'decision_criteria',
      type: 'text',
      required: false,
      label: { en: 'the decision criteria', de: 'die Entscheidungskriterien' },
      prompt: { en: 'What will you base the decision on?', de: 'Wonach werden Sie entscheiden?' },
      points: { present: 10 },
    },
    {
      slot: 'decision_process',
      type: 'text',
      required: false,
      label: { en: 'the decision process', de: 'den Entscheidungsprozess' },
      prompt: {
        en: 'What does the buying process look like on your side?',
        de: 'Wie läuft der Einkaufsprozess bei Ihnen ab?',
      },
      points: { present: 10 },
    },
    {
      slot: 'champion',
      type: 'enum',
      label: { en: 'championing this', de: 'interne Unterstützung' },
      prompt: {
        en: 'Would you be willing to champion this internally?',
        de: 'Würden Sie das Projekt intern vorantreiben?',
      },
      options: [
        {
          value: 'yes',
          label: { en: 'Yes', de: 'Ja' },
          synonyms: [
            'yes',
            'yeah',
            'yep',
            'sure',
            'definitely',
            'absolutely',
            'of course',
            'happy to',
            'count me in',
            'i will',
            'ja',
            'klar',
            'gerne',
            'si',
            'claro',
            'por supuesto',
            'sim',
            'com certeza',
            'oui',
            'bien sur',
          ],
        },
        {
          value: 'maybe',
          label: { en: 'Maybe', de: 'Vielleicht' },
          synonyms: [
            'maybe',
            'possibly',
            'perhaps',
            'depends',
            'it depends',
            'not sure',
            'vielleicht',
            'mal sehen',
            'quizas',
            'tal vez',
            'talvez',
            'peut-etre',
          ],
        },
        {
          value: 'no',
          label: { en: 'No', de: 'Nein' },
          synonyms: [
            'no',
            'nope',
            'not really',
            'unlikely',
            "can't",
            'cannot',
            "won't",
            'not me',
            'nein',
            'eher nicht',
            'non',
            'nao',
          ],
        },
      ],
      points: { values: { yes: 15, maybe: 5 } },
    },
  ],
  consent: CONSENT,
  outcomes: {
    rules: [
      {
        outcome: 'qualified',
        when: { all: [{ minPoints: 60 }, { filled: ['identify_pain', 'economic_buyer'] }] },
      },
      { outcome: 'nurture', when: { minPoints: 30 } },
    ],
    otherwise: 'disqualified',
  },
};

/** Ids of the playbooks that ship with Leadloop. */
export type BuiltInPlaybookId = 'bant' | 'champ' | 'meddic';

/** The built-in playbooks, validated (a broken one is a bug and fails at import). */
export const BUILT_IN_PLAYBOOKS: Readonly<Record<BuiltInPlaybookId, Playbook>> = {
  bant: playbookSchema.parse(BANT_INPUT),
  champ: playbookSchema.parse(CHAMP_INPUT),
  meddic: playbookSchema.parse(MEDDIC_INPUT),
};
