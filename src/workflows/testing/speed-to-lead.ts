import type { Step } from '../dsl/index.ts';

/**
 * The middle of the "speed to lead" fixtures of the DSL and n8n tests: a round-robin owner, then a
 * marketing e-mail to the lead that goes on to the step `wait`.
 */
export function assignThenMail(body: string): Step[] {
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
  ];
}
