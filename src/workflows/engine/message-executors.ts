import { sendChatMessage } from '../actions/connectors.ts';
import type { EmailSender } from '../actions/email.ts';
import { sendTwilioMessage } from '../actions/sms.ts';
import type { StepOf } from '../dsl/index.ts';
import { renderText, templateView } from './evaluate.ts';
import {
  credential,
  type ExecutorDeps,
  go,
  outbound,
  policy,
  StepFailure,
  type StepOutcome,
  type StepRuntime,
  storedTemplate,
} from './executor-kit.ts';
import { countryOfNumber, nextSendingWindow, recipientZones, toE164 } from './quiet-hours.ts';

/** Executors of the steps that send a message: e-mail, SMS / automated call, Slack / Teams. */

/** E-mail through the SMTP sender, with unsubscribe link and postal address on commercial mail. */
export async function sendEmailStep(
  step: StepOf<'send_email'>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<StepOutcome> {
  if (!deps.email) throw new StepFailure('no SMTP server is configured (LEADLOOP_SMTP_URL)', false);
  const lead = rt.scope.lead;
  const to = step.to === 'lead' ? (lead?.email as string | null | undefined) : renderText(step.to, rt.scope);
  if (!to) throw new StepFailure('the recipient has no e-mail address', false);
  const commercial = step.purpose === 'marketing';
  const sender = rt.settings.sender;
  const from = step.from
    ? renderText(step.from, rt.scope)
    : (sender?.from ?? rt.workflow.settings?.sender?.email);
  if (!from)
    throw new StepFailure(
      'no sender: set the workspace sender (workflow settings) or the step’s from',
      false,
    );
  const postalAddress =
    step.postalAddress ?? sender?.postalAddress ?? rt.workflow.settings?.sender?.postalAddress ?? '';
  const unsubscribeUrl = commercial && lead ? deps.unsubscribeUrl(rt.workspaceId, String(lead.id)) : null;
  const stored = step.template
    ? await storedTemplate(deps, rt, step.template, step.templateVersion, 'email')
    : null;
  const subject = stored ? stored.subject : step.subject;
  const text = stored ? stored.text : step.body;
  const html = stored ? stored.html : step.html;
  const sent = await outbound(() =>
    (deps.email as EmailSender).send(
      { from, postalAddress, ...(sender?.replyTo ? { replyTo: sender.replyTo } : {}) },
      {
        to,
        subject: subject ?? '',
        ...(text !== undefined ? { text } : {}),
        ...(html !== undefined ? { html } : {}),
        commercial,
        ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
        idempotencyKey: rt.idempotencyKey,
      },
      templateView(rt.scope),
    ),
  );
  return go(step.next, {
    messageId: sent.messageId,
    accepted: sent.accepted.length,
    purpose: step.purpose,
    ...(stored ? { template: step.template, templateVersion: stored.version } : {}),
  });
}

/** SMS or an automated call; outside the recipient's sending window the step waits for it. */
export async function sendSmsStep(
  step: StepOf<'send_sms'>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<StepOutcome> {
  const lead = rt.scope.lead;
  const raw = step.to === 'lead' ? (lead?.phone as string | null | undefined) : renderText(step.to, rt.scope);
  if (!raw) throw new StepFailure('the recipient has no phone number', false);
  const leadCountry = typeof lead?.country === 'string' ? lead.country : null;
  const to = toE164(raw, leadCountry);
  if (!to) throw new StepFailure('the recipient’s phone number is not a number in E.164 form', false);
  const channel = step.channel ?? 'sms';
  if (step.purpose !== 'internal') {
    const zones = recipientZones({
      leadTimeZone: (lead?.attributes as Record<string, unknown> | undefined)?.timezone,
      numberCountry: countryOfNumber(to),
      leadCountry,
      fallback: rt.workflow.settings?.timezone ?? 'UTC',
    });
    const opens = nextSendingWindow(rt.now, zones);
    // Quiet hours: the step waits (a durable timer) and sends when the window opens.
    if (opens > rt.now)
      return {
        kind: 'wait',
        wakeAt: opens,
        output: { quietHours: true, until: new Date(opens).toISOString(), timeZones: [...zones] },
      };
  }
  const stored = step.template
    ? await storedTemplate(deps, rt, step.template, step.templateVersion, 'sms')
    : null;
  const body = stored ? stored.text : step.text;
  if (!body) throw new StepFailure('the SMS step has neither text nor a template', false);
  const account = await credential(deps, rt, step.credential ?? 'sms-provider', 'twilio');
  const result = await outbound(() =>
    sendTwilioMessage(
      { http: deps.http, policy: policy(rt), signal: rt.signal },
      { account, channel, to, text: renderText(body, rt.scope), idempotencyKey: rt.idempotencyKey },
    ),
  );
  return go(step.next, {
    status: result.status,
    country: countryOfNumber(to),
    ...result.summary,
    ...(stored ? { template: step.template, templateVersion: stored.version } : {}),
  });
}

/** A Slack or Teams incoming-webhook message. */
export async function chatMessageStep(
  step: StepOf<'chat_message'>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<StepOutcome> {
  const hook = await credential(deps, rt, step.webhook, 'chat_webhook');
  const result = await outbound(() =>
    sendChatMessage(
      { http: deps.http, policy: policy(rt), signal: rt.signal },
      { channel: step.channel, webhookUrl: hook.url, text: renderText(step.text, rt.scope) },
    ),
  );
  return go(step.next, { status: result.status, ...result.summary });
}
