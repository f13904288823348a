import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectIntents, offersHandoff } from './intents.ts';
import { detectLanguage, languageOfLocale } from './language.ts';

describe('detectIntents', () => {
  it('recognises requests for a person, but not the word "agent" in a need', () => {
    assert.ok(detectIntents('can I talk to a real person?').includes('handoff'));
    assert.ok(detectIntents('human').includes('handoff'));
    assert.ok(detectIntents('Ich möchte mit einem Menschen sprechen').includes('handoff'));
    assert.ok(!detectIntents('we need an AI agent for support').includes('handoff'));
  });

  it('recognises yes and no, but not a yes with a condition', () => {
    assert.deepEqual(detectIntents('yes please'), ['yes']);
    assert.ok(detectIntents('nope').includes('no'));
    assert.ok(detectIntents("please don't contact me").includes('no'));
    assert.ok(!detectIntents('yes, but only by phone').includes('yes'));
    assert.ok(detectIntents('sí').includes('yes'));
  });

  it('recognises skips, goodbyes and bot questions', () => {
    assert.ok(detectIntents("I'd rather not say").includes('skip'));
    assert.ok(detectIntents('no budget yet').includes('skip'));
    assert.ok(detectIntents('ok thanks, bye').includes('bye'));
    assert.ok(!detectIntents('end of the year').includes('bye'));
    assert.ok(!detectIntents('we want to stop losing leads').includes('bye'));
    assert.ok(detectIntents('are you a bot?').includes('bot_question'));
  });
});

describe('detectLanguage', () => {
  it('detects German, Spanish and French sentences and stays quiet on short ones', () => {
    assert.equal(detectLanguage('Wir brauchen ein System, das unsere Leads verteilt'), 'de');
    assert.equal(detectLanguage('Necesitamos una herramienta para el equipo'), 'es');
    assert.equal(detectLanguage('Nous avons besoin d’un outil pour notre équipe'), 'fr');
    assert.equal(detectLanguage('We need a tool for the team'), 'en');
    assert.equal(detectLanguage('CTO'), undefined);
    assert.equal(languageOfLocale('de-AT'), 'de');
    assert.equal(languageOfLocale('pt-BR'), undefined);
  });
});

describe('offersHandoff', () => {
  it('is true only when a reply offers a person and the words it says to type ask for one', () => {
    assert.equal(
      offersHandoff(
        'I don\'t know that from our material. A person from our team can answer it: type "human" to ask for one.',
      ),
      true,
    );
    assert.equal(offersHandoff("That's a good question for our team; they can follow up."), false);
    assert.equal(offersHandoff('A person can help: type "pricing" to see our plans.'), false);
    assert.equal(offersHandoff('What is your role at the company?'), false);
  });
});
