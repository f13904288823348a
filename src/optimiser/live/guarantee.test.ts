import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGuarantee, guaranteeCsv, type PeriodFigures } from './guarantee.ts';

const DAY = 86_400_000;
const figures = (over: Partial<PeriodFigures>): PeriodFigures => ({
  segment: 'all',
  qualified: 100,
  expected: 20,
  lower: 13.4,
  upper: 27,
  labelled: 100,
  conversions: 20,
  ...over,
});

describe('guarantee report', () => {
  it('guarantees the lower quantile and measures how often it held, judging only complete periods', () => {
    const now = 10 * DAY;
    const report = buildGuarantee({ periodDays: 1, quantile: 0.1, now }, [
      {
        from: 8 * DAY,
        to: 9 * DAY,
        figures: [figures({ conversions: 13 }), figures({ segment: 'web', conversions: 9, lower: 8.9 })],
      },
      { from: 7 * DAY, to: 8 * DAY, figures: [figures({ conversions: 12 })] },
      { from: 9 * DAY, to: 10 * DAY, figures: [figures({ labelled: 60, conversions: 5 })] },
    ]);
    assert.deepEqual(
      report.rows.map((r) => [r.segment, r.guaranteed, r.held]),
      [
        ['all', 13, true],
        ['web', 8, true],
        ['all', 13, false],
        ['all', 13, null],
      ],
      'floor of the lower bound; a period with outcomes still missing is not judged',
    );
    assert.equal(report.backtest.periods, 3);
    assert.equal(report.backtest.held, 2);
    assert.ok(Math.abs((report.backtest.coverage ?? 0) - 2 / 3) < 1e-9);
    assert.ok((report.backtest.low ?? 1) < 2 / 3 && (report.backtest.high ?? 0) > 2 / 3);
    assert.equal(report.backtest.nominal, 0.9);
  });

  it('writes CSV a spreadsheet cannot mistake for formulas', () => {
    const report = buildGuarantee({ periodDays: 1, quantile: 0.1, now: 2 * DAY }, [
      { from: 0, to: DAY, figures: [figures({ segment: '=HYPERLINK("x")' }), figures({ segment: 'a,b' })] },
    ]);
    const lines = guaranteeCsv(report).trim().split('\r\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /^1970-01-01T00:00:00.000Z,1970-01-02T00:00:00.000Z,"'=HYPERLINK\(""x""\)",100,/);
    assert.match(lines[2]!, /,"a,b",100,20,13.4,27,13,100,20,true$/);
  });
});
