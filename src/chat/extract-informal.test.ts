import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractRoles } from './extract-role.ts';
import { extractTimeline } from './extract-timeline.ts';
import { detectIntents } from './intents.ts';
import { extractOffline } from './offline-extractor.ts';
import type { ExtractionField } from './slot-extractor.ts';
import {
  bantContext,
  extractionContext,
  EXTRACTION_NOW as now,
  bantSlots as slots,
} from './testing/extraction.ts';

// Informal and non-English phrasings (phone apostrophes, "im", abbreviations, day/month dates, Spanish,
// French, German and Portuguese time words), written for the general rule each test names.
const role = (text: string) => slots(text, 'authority').authority;
const when = (text: string, expecting = true) => extractTimeline(text, { now, expecting })[0]?.value.byDate;

describe('roles typed informally', () => {
  it('reads "I’m" with a phone apostrophe and "im" / "iam" without one', () => {
    assert.equal(role('I’m responsible for marketing'), 'director');
    assert.equal(role('im responsible for marketing'), 'director');
    assert.equal(role('im the one who decides'), 'executive');
    assert.equal(role('Iam the CEO'), 'executive');
    assert.equal(slots('I’m the one who signs off, we lose leads', null).authority, 'executive');
  });

  it('expands title abbreviations', () => {
    assert.equal(role('mktg mgr'), 'manager');
    assert.equal(role('dir of marketing'), 'director');
    assert.equal(role('GM of a dealership'), 'executive');
    assert.equal(role('MD'), 'executive');
    assert.equal(role('AVP marketing'), 'vp');
  });

  it('reads short answers about the visitor and about who decides', () => {
    assert.equal(role('just an intern'), 'individual');
    assert.equal(role('work in sales'), 'individual');
    assert.equal(role('decision maker'), 'executive');
    assert.equal(role('not the decision maker'), 'individual');
    assert.equal(role('im the boss'), 'executive');
    assert.equal(role('i sign the checks'), 'executive');
    assert.equal(role('need to check with my boss'), 'individual');
    assert.equal(role('my boss decides'), 'individual');
    // The boss stays someone else's role ("who signs?" questions read it).
    assert.deepEqual(
      extractRoles('Our CFO signs off').map((r) => [r.level, r.subject]),
      [
        ['executive', 'other'],
        ['individual', 'self'],
      ],
    );
    // A title first still wins over the boss statement.
    assert.equal(role("I'm the sales manager, my boss decides"), 'manager');
  });

  it('reads a function head, a signature after a dash, a business of one', () => {
    assert.equal(role('I am Zonal Head - Digital Sales'), 'director');
    assert.equal(role('sales head'), 'director');
    assert.equal(
      slots('Hello — Ana Silva, Head of Growth, Acme. Our challenge: churn', null).authority,
      'director',
    );
    assert.equal(role('just me, I do everything'), 'executive');
    assert.equal(role('self-employed'), 'executive');
    assert.equal(role('its my company'), 'executive');
    assert.equal(role('sou a dona da clínica'), 'executive');
  });

  it('reads Portuguese titles', () => {
    assert.equal(role('sou sócio da empresa'), 'executive');
    assert.equal(role('diretor comercial'), 'director');
    assert.equal(role('presidente'), 'executive');
  });
});

describe('times in other forms and languages', () => {
  it('reads a day and month without a year after a deadline word, as the next one to come', () => {
    assert.equal(when('bis 15.03.'), '2027-03-15');
    assert.equal(when('by 03/15'), '2027-03-15');
    assert.equal(when('by 15/01 ideally'), '2027-01-15');
    assert.equal(when('by 30/11'), '2026-11-30');
    // Before a day is the day before it.
    assert.equal(when('before 15/1'), '2027-01-14');
    // Without a deadline word, only as the whole answer.
    assert.equal(when('15/01'), '2027-01-15');
    assert.equal(when('we split it 50/50 between teams', false), undefined);
    assert.equal(when('24/7'), undefined);
    assert.equal(when('about 2.5 people'), undefined);
  });

  it('reads "before <month>" in Spanish, French, German and Portuguese as the end of the month before', () => {
    for (const phrase of ['antes de septiembre', 'avant septembre', 'vor September', 'antes de setembro']) {
      assert.equal(when(phrase), '2027-08-31', phrase);
    }
  });

  it('reads the end of a period without "this" and ordinal quarters in other languages', () => {
    assert.equal(when("d'ici la fin du trimestre"), '2026-12-31');
    assert.equal(when('bis Ende des Quartals'), '2026-12-31');
    assert.equal(when('até o fim de janeiro'), '2027-01-31');
    assert.equal(when('para el primer trimestre del próximo año'), '2027-03-31');
    assert.equal(when('im ersten Quartal'), '2027-03-31');
  });

  it('reads a fiscal year that the visitor says runs April to March', () => {
    assert.equal(when('next fiscal year, our FY is April to March'), '2028-03-31');
    assert.equal(when('this financial year, FY runs from April to March'), '2027-03-31');
    assert.equal(when('next fiscal year'), '2027-12-31');
  });

  it('reads a half-year named in its last quarter as next year’s', () => {
    assert.equal(when('H2'), '2027-12-31');
    assert.equal(
      extractTimeline('H2', { now: Date.UTC(2026, 6, 1), expecting: true })[0]?.value.byDate,
      '2026-12-31',
    );
  });

  it('prefers a named window to a hurry, and never takes a time in the past', () => {
    assert.deepEqual(slots('lo antes posible, como mucho en 3 semanas', 'timeline').timeline, {
      byDate: '2026-12-19',
    });
    assert.deepEqual(slots("it's urgent, this quarter", 'timeline').timeline, { byDate: '2026-12-31' });
    assert.equal(slots("I'm the VP of Sales now, new title since October", 'authority').timeline, undefined);
  });

  it('corrects a month set against another one ("march not april")', () => {
    const filled = { timeline: { byDate: '2027-04-30' } };
    const result = extractOffline('oh wait, march not april', bantContext(null, { filled }));
    assert.deepEqual(result.slots.timeline, { byDate: '2027-03-31' });
    // Only the month taken back is read: nothing is stored.
    const back = extractOffline('sorry, not april', bantContext(null, { filled }));
    assert.equal(back.slots.timeline, undefined);
  });

  it('takes "sorry, X, not Y" as a correction', () => {
    const filled = { timeline: { byDate: '2027-01-31' } };
    const result = extractOffline(
      'sorry, end of March, not January — the board moved',
      bantContext(null, { filled }),
    );
    assert.equal(result.correction, true);
    assert.deepEqual(result.slots.timeline, { byDate: '2027-03-31' });
  });
});

describe('who signs off (a role of anyone)', () => {
  const meddic: ExtractionField[] = [
    { slot: 'identify_pain', type: 'text', keywords: [], cue: 'need' },
    { slot: 'economic_buyer', type: 'role', keywords: [], subject: 'any' },
  ];
  const buyer = (text: string, expecting: string | null) =>
    extractOffline(text, extractionContext(meddic, expecting)).slots.economic_buyer;

  it('takes an unasked role only when it is said to sign', () => {
    assert.equal(buyer('our AEs waste demos on companies with no budget', 'identify_pain'), undefined);
    assert.equal(buyer('Procurement manager at a hospital group, our enquiries get lost', null), undefined);
    assert.equal(buyer('Problem: slow quotes. The board signs off anything over 50k', null), 'executive');
    assert.equal(buyer('CMO here, leads are junk, and I sign off the budget myself', null), 'executive');
  });

  it('takes the highest of several people named when asked', () => {
    assert.equal(
      buyer('Chief Medical Officer and the finance director together', 'economic_buyer'),
      'executive',
    );
    assert.equal(buyer('the DAF, Directeur Administratif et Financier', 'economic_buyer'), 'executive');
    assert.equal(buyer('probably our head of sales', 'economic_buyer'), 'director');
  });

  it("never takes the board as the visitor's own role", () => {
    assert.equal(role('the board decides'), undefined);
  });
});

describe('amounts in other languages', () => {
  const budget = (text: string) => slots(text, 'budget').budget;
  it('reads "mil" as a thousand among Spanish or Portuguese words and a million in English slang', () => {
    for (const [text, expected] of [
      ['R$ 4 mil per month', { min: 4000, max: 4000, currency: 'BRL', period: 'month' }],
      ['uns 2 mil reais por mês', { min: 2000, max: 2000, currency: 'BRL', period: 'month' }],
      [
        'alrededor de 200 mil pesos mexicanos al año',
        { min: 200_000, max: 200_000, currency: 'MXN', period: 'year' },
      ],
      ['$2 mil', { min: 2_000_000, max: 2_000_000, currency: 'USD', period: 'one_off' }],
    ] as const) {
      assert.deepEqual(budget(text), expected, text);
    }
  });

  it('reads "/mois", "/mes" as per month and drops greetings in other languages from the need', () => {
    assert.deepEqual(budget('500€/mois'), { min: 500, max: 500, currency: 'EUR', period: 'month' });
    assert.equal(
      slots('Hola, perdemos muchos leads porque nadie responde rápido', 'need').need,
      'perdemos muchos leads porque nadie responde rápido',
    );
  });

  it('counts lakhs and crores in rupees, and takes "zero" as a budget of nothing', () => {
    for (const [text, expected] of [
      ['around 8 lakhs per annum', { min: 800_000, max: 800_000, currency: 'INR', period: 'year' }],
      ["zero, it's for university", { min: 0, max: 0, currency: 'USD', period: 'one_off' }],
    ] as const) {
      assert.deepEqual(budget(text), expected, text);
    }
    assert.equal(slots('zero leads come from the site', 'need').budget, undefined);
  });
});

describe('needs and free-text answers', () => {
  it('keeps a pain whose words include a skip phrase inside the sentence', () => {
    assert.equal(
      slots('our AEs waste demos on companies with no budget', 'need').need,
      'our AEs waste demos on companies with no budget',
    );
    assert.equal(
      slots('reps have no idea which leads are hot', 'need').need,
      'reps have no idea which leads are hot',
    );
  });

  it('reads a need said for someone else and "challenge is simple:"', () => {
    assert.match(
      String(slots('She wants one place where finance sees every deal', 'need').need),
      /one place where finance sees every deal/,
    );
    assert.match(
      String(
        slots(
          'EVP here. Challenge is simple: 40 reps and no idea which leads they work. I want this solved',
          null,
        ).need,
      ),
      /no idea which leads they work/,
    );
  });

  it('keeps a free-text answer whole, months and titles included', () => {
    const meddic: ExtractionField[] = [
      { slot: 'identify_pain', type: 'text', keywords: [], cue: 'need' },
      { slot: 'decision_process', type: 'text', keywords: [] },
      { slot: 'economic_buyer', type: 'role', keywords: [], subject: 'any' },
      {
        slot: 'champion',
        type: 'enum',
        keywords: [],
        options: [{ value: 'maybe', words: ['maybe', 'not sure'] }],
      },
    ];
    const read = (text: string, expecting: string) =>
      extractOffline(text, extractionContext(meddic, expecting)).slots;
    assert.equal(
      read('formal tender: RFP in January, shortlist in February, contract by April', 'decision_process')
        .decision_process,
      'formal tender: RFP in January, shortlist in February, contract by April',
    );
    assert.equal(
      read('I decide, legal reviews the contract', 'decision_process').decision_process,
      'I decide, legal reviews the contract',
    );
    // A bare "not sure" answers the question asked, not the champion one.
    assert.equal(read("We can't see which campaigns work", 'identify_pain').champion, undefined);
    assert.equal(read('not sure how we would measure it yet', 'decision_process').champion, undefined);
    assert.equal(read('not sure', 'champion').champion, 'maybe');
  });
});

describe('terse messages', () => {
  it('reads a sentence opening with "no one" or "don\'t" as a statement, not a refusal', () => {
    assert.equal(slots('no one answers chat after 5pm', 'need').need, 'no one answers chat after 5pm');
    assert.equal(slots('no idea which leads convert', 'need').need, 'no idea which leads convert');
    assert.equal(slots("don't get leads fast enough", 'need').need, "don't get leads fast enough");
  });

  it('still reads a skip that opens a clause, after "we have" or "there is"', () => {
    for (const text of [
      'we have no timeline yet',
      'there is no budget yet',
      'honestly no idea',
      'ok, not sure yet',
    ])
      assert.ok(detectIntents(text).includes('skip'), text);
    for (const text of [
      'our AEs waste demos on companies with no budget',
      'we have no idea which leads convert',
    ])
      assert.ok(!detectIntents(text).includes('skip'), text);
  });

  it('reads a need with no subject in a terse multi-slot message', () => {
    const result = slots('vp sales, need lead routing by march, budget 20k', null);
    assert.equal(result.need, 'need lead routing');
    assert.equal(result.authority, 'vp');
    assert.deepEqual(result.timeline, { byDate: '2027-03-31' });
  });

  it('reads a window of two months as ending with the later one, and fillers before a count', () => {
    assert.equal(when('jan/feb'), '2027-02-28');
    assert.equal(when('March or April'), '2027-04-30');
    assert.equal(when('dec/jan'), '2027-01-31');
    assert.equal(when('in like 6 wks'), '2027-01-09');
  });

  it('reads an amount said per month in a message about buying as the budget, not a count of leads', () => {
    const result = slots(
      'marketing manager here looking for a chatbot, maybe 500 a month, want it live in 6 weeks',
      null,
    );
    assert.deepEqual(result.budget, { min: 500, max: 500, currency: 'USD', period: 'month' });
    assert.equal(result.need, 'looking for a chatbot');
    assert.equal(slots('we get 500 a month from ads and lose half', null).budget, undefined);
  });

  it('reads "annual" after an amount as its period', () => {
    assert.deepEqual(slots('50k annual', 'budget').budget, {
      min: 50_000,
      max: 50_000,
      currency: 'USD',
      period: 'year',
    });
  });
});

describe('yes and no in other languages', () => {
  it('reads Portuguese and Spanish yes/no, and champion answers in them', async () => {
    const { BUILT_IN_PLAYBOOKS } = await import('./builtin-playbooks.ts');
    assert.ok(detectIntents('sim').includes('yes'));
    assert.ok(detectIntents('não').includes('no'));
    const champion = BUILT_IN_PLAYBOOKS.meddic.questions.find((q) => q.slot === 'champion');
    assert.ok(champion?.type === 'enum');
    const options = champion.options.map((o) => ({ value: o.value, words: [o.value, ...o.synonyms] }));
    const fields: ExtractionField[] = [{ slot: 'champion', type: 'enum', keywords: [], options }];
    const read = (text: string) => extractOffline(text, extractionContext(fields, 'champion')).slots.champion;
    assert.equal(read('sí, claro'), 'yes');
    assert.equal(read("I can't champion it, I only run the tender"), 'no');
    assert.equal(read('tal vez'), 'maybe');
  });
});
