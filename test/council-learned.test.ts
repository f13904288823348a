import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createManualClock, inWorkspace } from '../src/core/index.ts';
import { leadRow, outcomeRow } from './support/rows.ts';
import { createTestRuntime, DIALECTS, type TestRuntime } from './support/runtime.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const NOW = Date.UTC(2026, 8, 1);

interface Recommendation {
  kind: string;
  target: string;
  evidence: string;
  source?: 'learned' | 'rule';
  outcomes?: number;
}

for (const dialect of DIALECTS) {
  describe(`optimizers learn pooled conversion rates across business units (${dialect})`, () => {
    let runtime: TestRuntime;
    const clock = createManualClock(NOW);
    let n = 0;

    before(async () => {
      runtime = await createTestRuntime(dialect, { clock });
    });
    after(() => runtime.dispose());

    const workspace = async (name: string, organisation: string) =>
      (await runtime.tenants.createWorkspace({ name, organisation, actor: ACTOR })).workspace.id;

    /** `count` leads with a recorded outcome, `conversions` of them converted (fixture rows, no pipeline). */
    async function outcomes(
      ws: string,
      lead: { industry: string; country: string; dealSizeUsd: number; status?: string },
      count: number,
      conversions: number,
    ) {
      for (let i = 0; i < count; i++) {
        n += 1;
        const id = `lead_learn_${n}`;
        const at = NOW - 86_400_000 * (1 + (i % 20));
        await runtime.inspect
          .insertInto('leads')
          .values(
            leadRow(id, ws, at, {
              country: lead.country,
              source: 'web',
              attributes: JSON.stringify({ industry: lead.industry, dealSizeUsd: lead.dealSizeUsd }),
              status: lead.status ?? 'new',
            }),
          )
          .execute();
        await runtime.inspect
          .insertInto('lead_outcomes')
          .values(outcomeRow(ws, id, at, { converted: i < conversions ? 1 : 0, body_hash: `h${n}` }))
          .execute();
      }
    }

    const review = async (ws: string) => {
      const decision = await inWorkspace(ws, () =>
        runtime.council.ask(
          { workspaceId: ws },
          { type: 'performance.review', windowDays: 30 },
          { actor: ACTOR },
        ),
      );
      return (decision.inForce.output as { recommendations: Recommendation[] }).recommendations;
    };

    it("pools a business unit's thin cell with its sister unit's outcomes, not another organisation's, and says what each recommendation rests on", async () => {
      const a = await workspace('Pool A', 'Pooling Org');
      const b = await workspace('Pool B', 'Pooling Org');
      const stranger = await workspace('Elsewhere', 'Other Org');
      const saasMid = { industry: 'SaaS', country: 'US', dealSizeUsd: 50_000 };
      // A has 12 outcomes in the cell, too few for the written rule (30); B has 200 at 2%.
      await outcomes(a, saasMid, 12, 0);
      await outcomes(b, saasMid, 200, 4);
      // Another organisation converts half of the same cell: it must not leak into A's estimate.
      await outcomes(stranger, saasMid, 300, 150);
      // A cell nobody else has, with 5 outcomes: thin, left to the rules.
      await outcomes(a, { industry: 'fintech', country: 'DE', dealSizeUsd: 5_000 }, 5, 0);
      // 60 routed leads of A that converted once: the written threshold rule's case.
      await outcomes(
        a,
        { industry: 'retail', country: 'FR', dealSizeUsd: 500_000, status: 'qualified' },
        60,
        1,
      );

      const recommendations = await review(a);
      const learned = recommendations.filter((r) => r.source === 'learned');
      const saas = learned.find((r) =>
        r.target.includes('industry saas, region north_america, deal band mid'),
      );
      assert.ok(saas, JSON.stringify(recommendations, null, 1));
      assert.equal(saas.kind, 'raise_threshold');
      assert.equal(saas.outcomes, 212, "A's 12 and B's 200 outcomes, none of the other organisation's");
      assert.match(
        saas.evidence,
        /^learned from 212 outcomes across 2 business unit\(s\): this unit 0\/12 converted, the organisation 4\/212/,
      );
      assert.ok(
        !learned.some((r) => r.target.includes('industry fintech')),
        'a cell with 5 outcomes is too thin to learn from',
      );
      const rule = recommendations.find((r) => r.source === 'rule');
      assert.ok(rule, 'the written rules still speak where they apply');
      assert.equal(rule.kind, 'raise_threshold');
      assert.match(rule.evidence, /^Written rule: Routed leads converted at 1\.7%/);
      for (const r of recommendations) assert.ok(r.source === 'learned' || r.source === 'rule');

      // Alone, B's own 200 outcomes dominate its estimate; the stranger's organisation pools with no one.
      const other = await review(stranger);
      const own = other.find((r) => r.source === 'learned' && r.target.includes('industry saas'));
      assert.equal(own?.kind, 'lower_threshold');
      assert.equal(own?.outcomes, 300);
      assert.match(own?.evidence ?? '', /across 1 business unit\(s\)/);
    });
  });
}
