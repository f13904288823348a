/**
 * n8n schedules → cron. Schedule Trigger intervals (`rule.interval[]`) and the legacy Cron node's
 * `triggerTimes.item[]` become five-field cron expressions; `exact: false` when cron can only
 * approximate them (seconds, "every N days/weeks" that do not align with the calendar).
 */

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : fallback;

const CRON_5_OR_6 = /^(\S+\s+){4}\S+(\s+\S+)?$/;

export function cronFromScheduleRule(i: Record<string, unknown>): { cron: string; exact: boolean } {
  const field = typeof i.field === 'string' ? i.field : 'days';
  const minute = num(i.triggerAtMinute, 0);
  const hour = num(i.triggerAtHour, 0);
  switch (field) {
    case 'cronExpression': {
      const expr = typeof i.expression === 'string' ? i.expression.trim() : '';
      return CRON_5_OR_6.test(expr) && !expr.startsWith('=')
        ? { cron: expr, exact: true }
        : { cron: '0 0 * * *', exact: false };
    }
    case 'seconds':
      return { cron: '* * * * *', exact: false };
    case 'minutes': {
      const n = num(i.minutesInterval, 5);
      return { cron: n <= 1 ? '* * * * *' : `*/${n} * * * *`, exact: 60 % n === 0 };
    }
    case 'hours': {
      const n = num(i.hoursInterval, 1);
      return { cron: n <= 1 ? `${minute} * * * *` : `${minute} */${n} * * *`, exact: 24 % n === 0 };
    }
    case 'weeks': {
      const days =
        Array.isArray(i.triggerAtDay) && i.triggerAtDay.length > 0
          ? i.triggerAtDay.map((d) => num(d, 0)).join(',')
          : '0';
      return { cron: `${minute} ${hour} * * ${days}`, exact: num(i.weeksInterval, 1) <= 1 };
    }
    case 'months': {
      const n = num(i.monthsInterval, 1);
      return {
        cron: `${minute} ${hour} ${num(i.triggerAtDayOfMonth, 1)} ${n <= 1 ? '*' : `*/${n}`} *`,
        exact: true,
      };
    }
    default: {
      const n = num(i.daysInterval, 1);
      return { cron: `${minute} ${hour} ${n <= 1 ? '*' : `*/${n}`} * *`, exact: n <= 1 };
    }
  }
}

export function cronFromCronNode(i: Record<string, unknown>): { cron: string; exact: boolean } {
  const mode = typeof i.mode === 'string' ? i.mode : 'everyDay';
  const minute = num(i.minute, 0);
  const hour = num(i.hour, 14);
  switch (mode) {
    case 'everyMinute':
      return { cron: '* * * * *', exact: true };
    case 'everyHour':
      return { cron: `${minute} * * * *`, exact: true };
    case 'everyWeek':
      return { cron: `${minute} ${hour} * * ${num(i.weekday, 1)}`, exact: true };
    case 'everyMonth':
      return { cron: `${minute} ${hour} ${num(i.dayOfMonth, 1)} * *`, exact: true };
    case 'everyX': {
      const v = num(i.value, 2);
      return i.unit === 'hours'
        ? { cron: `0 */${v} * * *`, exact: true }
        : { cron: `*/${v} * * * *`, exact: true };
    }
    case 'custom': {
      const expr = typeof i.cronExpression === 'string' ? i.cronExpression.trim() : '';
      return CRON_5_OR_6.test(expr) ? { cron: expr, exact: true } : { cron: '0 0 * * *', exact: false };
    }
    default:
      return { cron: `${minute} ${hour} * * *`, exact: true };
  }
}
