import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AuditEntry, GENESIS_HASH, hashAuditEntry, verifyChain } from './audit-chain.ts';

function chain(n: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const base = {
      id: `aud_${seq}`,
      workspaceId: 'ws_a',
      at: 1000 + seq,
      actor: { type: 'system' as const, id: 'test' },
      action: 'lead.scored',
      subject: `lead_${seq}`,
      reason: `entry ${seq}`,
      data: { score: seq },
      prevHash,
    };
    const entry = { ...base, seq, hash: hashAuditEntry(base) };
    entries.push(entry);
    prevHash = entry.hash;
  }
  return entries;
}
const headOf = (entries: AuditEntry[]) => ({
  seq: entries.length,
  hash: entries.at(-1)?.hash ?? GENESIS_HASH,
});

describe('audit chain verification', () => {
  it('finds nothing wrong with an intact chain', () => {
    const entries = chain(5);
    assert.deepEqual(verifyChain('ws_a', entries, headOf(entries)), []);
  });

  it('names an edited entry', () => {
    const entries = chain(5);
    const head = headOf(entries);
    const edited = entries.map((e) => (e.seq === 3 ? { ...e, reason: 'something else' } : e));
    const problems = verifyChain('ws_a', edited, head);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.kind, 'edited');
    assert.equal(problems[0]?.id, 'aud_3');
  });

  it('names a deleted entry in the middle', () => {
    const entries = chain(5);
    const problems = verifyChain(
      'ws_a',
      entries.filter((e) => e.seq !== 2),
      headOf(entries),
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.kind, 'deleted');
    assert.equal(problems[0]?.seq, 2);
  });

  it('names deleted entries at the end using the head', () => {
    const entries = chain(5);
    const problems = verifyChain('ws_a', entries.slice(0, 3), headOf(entries));
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.kind, 'truncated');
  });

  it('names reordered entries', () => {
    const entries = chain(5);
    const a = entries[1] as AuditEntry;
    const b = entries[2] as AuditEntry;
    // Swap positions 2 and 3 (as an attacker editing the seq column would).
    const swapped = [entries[0], { ...b, seq: 2 }, { ...a, seq: 3 }, entries[3], entries[4]] as AuditEntry[];
    const problems = verifyChain('ws_a', swapped, headOf(entries));
    assert.ok(
      problems.some((p) => p.kind === 'reordered' && p.id === 'aud_3'),
      JSON.stringify(problems),
    );
  });
});
