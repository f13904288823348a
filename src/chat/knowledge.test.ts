import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/index.ts';
import { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { createDialogEngine } from './dialog-engine.ts';
import { createKnowledgeBase, isQuestion, splitSections } from './knowledge.ts';

// Written for this test from the examples (per-seat pricing, integrations, a trial).
const DOCUMENTS = [
  {
    file: 'pricing.md',
    markdown:
      '# Pricing\n\n## Plans\nStarter is $49 per seat per month, Growth $99 per seat per month; Enterprise is priced on request.\n\n## Per-seat billing\nAll plans are billed per seat. A seat is one user who logs in. Seats can be added or removed at any time.\n\n## Discounts\nAnnual billing saves 20%. Nonprofits get 30% off.\n',
  },
  {
    file: 'faq.md',
    markdown:
      '# FAQ\n\n## Integrations\nWe integrate with HubSpot and Salesforce; a Zapier app covers other tools.\n\n## Free trial\nEvery plan starts with a 14-day free trial, no credit card needed.\n\n## Data residency\nAll data is stored in the EU (Frankfurt).\n',
  },
];

describe('createKnowledgeBase', () => {
  const kb = createKnowledgeBase(DOCUMENTS);

  it('splits markdown on "## " headings and keeps the file name', () => {
    const sections = splitSections(DOCUMENTS);
    assert.deepEqual(
      sections.map((s) => `${s.file}#${s.heading}`),
      [
        'pricing.md#Plans',
        'pricing.md#Per-seat billing',
        'pricing.md#Discounts',
        'faq.md#Integrations',
        'faq.md#Free trial',
        'faq.md#Data residency',
      ],
    );
  });

  it('answers from the best section and cites it', () => {
    const seat = kb.answer('Does your pricing work per seat?');
    assert.deepEqual(seat?.source, { file: 'pricing.md', heading: 'Per-seat billing' });
    assert.match(seat?.text ?? '', /billed per seat/);
    assert.equal(kb.answer('How much does it cost?')?.source.heading, 'Plans');
    assert.equal(kb.answer('Is there a free trial?')?.source.heading, 'Free trial');
    assert.equal(kb.answer('where do you store our data?')?.source.heading, 'Data residency');
    assert.match(kb.answer('Do you integrate with Salesforce?')?.text ?? '', /Salesforce/);
  });

  it('meets questions and content on the same word forms and topics', () => {
    // "cancelled"/"cancel", "how long"/"how much" frame the question, they name no topic.
    const kb2 = createKnowledgeBase([
      {
        file: 'faq.md',
        markdown:
          '# FAQ\n\n## Cancellation\nMonthly plans can be cancelled at any time.\n\n## Onboarding\nSetup takes about a week.\n\n## Single sign-on\nSAML single sign-on with Okta is part of Enterprise.\n',
      },
    ]);
    assert.equal(kb2.answer("How do I cancel if it doesn't work out?")?.source.heading, 'Cancellation');
    assert.equal(kb2.answer('How long does setup usually take?')?.source.heading, 'Onboarding');
    assert.equal(kb2.answer('Do you support SSO with Okta?')?.source.heading, 'Single sign-on');
    assert.equal(kb2.answer('Do you support SSO with Ping?'), null);
  });

  it('knows a question asked as a statement', () => {
    assert.equal(isQuestion("I'd like to know if you are ISO certified"), true);
    assert.equal(isQuestion('whats the price of the starter plan'), true);
    assert.equal(isQuestion('We would like to know more leads, faster'), false);
  });

  it('says it does not know instead of answering from a loosely related section', () => {
    assert.equal(kb.answer('Do you integrate with Pipedrive?'), null);
    assert.equal(kb.answer('Do you have a mobile app?'), null);
    assert.equal(kb.answer('What is the capital of France?'), null);
  });

  it('declines unanswerable questions that share words with a section the content has', () => {
    // Written for this test: each question shares most of its words with one section, which does not
    // answer it. The bot must offer a person rather than answer from the weak match.
    const content = createKnowledgeBase([
      {
        file: 'product.md',
        markdown:
          '# Product\n\n## API\nThe REST API is limited to 600 requests per minute per workspace.\n\n## CRM\nNew contacts and chat transcripts are synced to HubSpot within five minutes.\n\n## Calendars\nAgents book meetings in Google Calendar.\n\n## Mobile app\nThere is no native mobile app; the console works in a phone browser.\n',
      },
    ]);
    // "Google" is in the content, but not in the section that would answer.
    assert.equal(content.answer('Do you sync contacts with Google Contacts?'), null);
    // "agents" is named by the question and missing from the API section, which only mentions the rest in passing.
    assert.equal(content.answer('Is there a limit on agents per workspace?'), null);
    assert.equal(content.answer('Do you offer training for new agents?'), null);
    // A section about the rest of the question still answers it.
    assert.equal(content.answer('Is there a mobile app for iPhone?')?.source.heading, 'Mobile app');
    assert.equal(content.answer('What is the API rate limit?')?.source.heading, 'API');
  });

  it('tells questions from statements', () => {
    assert.equal(isQuestion('Does your pricing work per seat?'), true);
    assert.equal(isQuestion('how long does onboarding take'), true);
    assert.equal(isQuestion('We need better lead routing'), false);
  });
});

describe('the dialog engine answers questions, then goes on with the playbook', () => {
  it('answers from the content, offers a person when it does not know, and asks the pending question again', async () => {
    const clock = createManualClock(Date.parse('2026-12-06T10:00:00Z'));
    const engine = createDialogEngine({ clock, knowledge: createKnowledgeBase(DOCUMENTS) });
    const opened = await engine.start(BUILT_IN_PLAYBOOKS.bant, { sessionId: 'ses_kb' });
    const asked = await engine.handle(opened.state, 'Does your pricing work per seat?');
    const answer = asked.replies.find((r) => r.kind === 'answer');
    assert.deepEqual(answer?.source, { file: 'pricing.md', heading: 'Per-seat billing' });
    assert.equal(asked.replies.at(-1)?.kind, 'question');
    assert.equal(asked.state.pending, opened.state.pending);
    assert.equal(asked.state.attempts[opened.state.pending ?? ''] ?? 0, 0);
    const unknown = await engine.handle(asked.state, 'Do you have a mobile app?');
    assert.match(unknown.replies[0]?.text ?? '', /human/);
    assert.equal(unknown.replies.at(-1)?.kind, 'question');
  });
});
