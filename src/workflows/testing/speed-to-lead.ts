import type { Step } from '../dsl/index.ts';

/**
 * The middle of the "speed to lead" fixtures of the DSL and n8n tests: a round-robin owner, a
 * marketing e-mail to the lead with this body, then a wait of a day for the reply, going on to
 * `next` when it comes and to `onTimeout` when it does not.
 */
export function assignMailAwaitReply(body: string, after: { next: string; onTimeout: string }): Step[] {
  return [
    {
      id: 'assign',
      type: 'assign_owner',
      strategy: 'round_robin',
      owners: [{ id: 'ana' }, { id: 'bo' }],
      next: 'mail',
    },
    {
      id: 'mail',
      type: 'send_email',
      to: 'lead',
      purpose: 'marketing',
      subject: 'Hi {{lead.name}}',
      body,
      next: 'wait',
    },
    {
      id: 'wait',
      type: 'wait',
      wait: { kind: 'event', event: 'email.replied', timeoutMs: 86_400_000 },
      ...after,
    },
  ];
}
