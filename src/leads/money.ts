/**
 * Budget periods: a budget is stored as the visitor stated it for its period ("500 euros a month"
 * is 500 per `month`), and whoever compares budgets (chat scoring, the council's deal size)
 * annualises it here. A value without a period was stored before periods existed, when amounts were
 * already annualised: it counts as it is.
 */
export const BUDGET_PERIODS = ['one_off', 'month', 'quarter', 'year'] as const;
/** The period a budget amount is for. */
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

const PER_YEAR: Record<BudgetPeriod, number> = { one_off: 1, month: 12, quarter: 4, year: 1 };

/** An amount per year (a one-off amount counts once); `undefined` period = already annualised. */
export function annualised(amount: number, period: BudgetPeriod | undefined): number {
  return period === undefined ? amount : amount * PER_YEAR[period];
}
