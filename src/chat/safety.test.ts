import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createManualClock } from '../core/index.ts';
import { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { createDialogEngine } from './dialog-engine.ts';
import { loadConversationFixtures } from './evaluation.ts';
import { assessMessage, checkMessage } from './safety.ts';
import { slotValues } from './session-state.ts';

const corpusDir = join(import.meta.dirname, '../../test/fixtures/conversations');
const injectionDir = join(corpusDir, 'injection');

interface AttackFile {
  category: string;
  messages: { id: string; technique: string; text: string }[];
}

async function attacks(): Promise<(AttackFile['messages'][number] & { category: string })[]> {
  const out = [];
  for (const name of (await readdir(injectionDir)).filter((n) => n.endsWith('.json')).sort()) {
    const file = JSON.parse(await readFile(join(injectionDir, name), 'utf8')) as AttackFile;
    out.push(...file.messages.map((m) => ({ ...m, category: file.category })));
  }
  return out;
}

describe('safety', () => {
  it('has a corpus of at least 30 injection and abuse messages', async () => {
    assert.ok((await attacks()).length >= 30);
  });

  it('flags every message of the injection corpus, in its category', async () => {
    for (const attack of await attacks()) {
      const verdict = assessMessage(attack.text);
      assert.equal(verdict.safe, false, `${attack.id} was not flagged: ${attack.text}`);
      if (verdict.safe) continue;
      if (attack.category === 'encoded') assert.equal(verdict.encoded, true, attack.id);
      else assert.equal(verdict.category, attack.category, attack.id);
    }
  });

  it('refuses each attack, stays on task and reveals nothing of the playbook or another session', async () => {
    const clock = createManualClock(Date.UTC(2026, 10, 28, 10));
    const engine = createDialogEngine({ clock });
    const playbook = { ...BUILT_IN_PLAYBOOKS.bant, meetingUrl: 'https://cal.example.com/acme' };
    let other = (await engine.start(playbook, { sessionId: 'ses_other' })).state;
    for (const text of [
      'We need lead routing',
      'CFO',
      'next month',
      'our budget is 77777 dollars',
      'secret.person@othercorp.com',
    ]) {
      other = (await engine.handle(other, text)).state;
    }
    const opened = await engine.start(playbook, { sessionId: 'ses_attacker' });
    for (const attack of await attacks()) {
      const result = await engine.handle(opened.state, attack.text);
      const said = result.replies.map((r) => r.text).join('\n');
      assert.equal(result.replies[0]?.kind, 'refusal', attack.id);
      assert.equal(result.replies.at(-1)?.kind, 'question', `${attack.id} should go back to the question`);
      assert.deepEqual(slotValues(result.state), {}, attack.id);
      for (const secret of [
        'othercorp',
        '77777',
        '77,777',
        'minPoints',
        'qualified',
        'points',
        'disqualified',
        '{',
        'prompt',
        'instruction',
      ]) {
        assert.ok(
          !said.toLowerCase().includes(secret.toLowerCase()),
          `${attack.id} revealed "${secret}": ${said}`,
        );
      }
      assert.equal(result.state.transcript.at(-(result.replies.length + 1))?.flagged !== undefined, true);
    }
  });

  it('does not flag the visitor turns of the conversation corpus', async () => {
    for (const fixture of await loadConversationFixtures(corpusDir)) {
      const flagged = fixture.turns.filter((t) => !assessMessage(t).safe);
      const expected = fixture.tags.includes('injection') || fixture.tags.includes('abuse') ? 1 : 0;
      assert.equal(flagged.length, expected, `${fixture.id}: ${flagged.join(' | ')}`);
    }
  });

  it('lets ordinary business sentences through', () => {
    for (const text of [
      'We need to override the default routing in our CRM',
      'Can you show me case studies from customers like us?',
      'I forgot my password for the trial',
      "Hi, I'm Dan, the CTO",
      'I act as the decision maker for tooling',
      'we want to ignore leads from free email domains',
      'Please send me some information about pricing',
    ]) {
      assert.deepEqual(assessMessage(text), { safe: true }, text);
    }
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        assessMessage(text);
      }),
      { numRuns: 300 },
    );
  });

  it('checks length and emptiness before anything else', () => {
    assert.equal(checkMessage('hello').ok, true);
    const long = checkMessage('é'.repeat(2001));
    assert.equal(long.ok, false);
    if (!long.ok) assert.equal(long.error.code, 'payload_too_large');
    const empty = checkMessage(' \n ');
    assert.equal(empty.ok, false);
    if (!empty.ok) assert.equal(empty.error.code, 'validation_failed');
    assert.equal(checkMessage(42).ok, false);
  });
});
