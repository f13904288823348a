import type { Transporter } from 'nodemailer';
import { LeadloopError } from '../../core/index.ts';
import { renderTemplate, type TemplateView } from './templates.ts';

/** The workspace's sender identity; CAN-SPAM needs a valid postal address in commercial e-mail. */
export interface SenderIdentity {
  from: string;
  replyTo?: string;
  postalAddress: string;
}

export interface EmailMessage {
  to: string;
  subject: string;
  /** Mustache templates; at least one of text and html. */
  text?: string;
  html?: string;
  /** Commercial (marketing) e-mail carries the unsubscribe link, List-Unsubscribe and the postal address. */
  commercial: boolean;
  /** Where the recipient unsubscribes with one click (RFC 8058). Required for commercial e-mail. */
  unsubscribeUrl?: string;
  /** run id + step id: the Message-ID, so a retried step is recognisably the same message. */
  idempotencyKey: string;
}

export interface SentEmail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

export interface EmailSender {
  send(sender: SenderIdentity, message: EmailMessage, view: TemplateView): Promise<SentEmail>;
}

/** A Message-ID derived from the idempotency key: the same step always yields the same id. */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = /@([^>\s]+)>?$/.exec(from)?.[1] ?? 'leadloop.invalid';
  const local = idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '.');
  return `<${local}@${domain}>`;
}

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/**
 * Renders and sends through SMTP (nodemailer). Commercial e-mail gets, whatever the template says,
 * a footer with the unsubscribe link and the sender's postal address and the `List-Unsubscribe` /
 * `List-Unsubscribe-Post` headers, so no template can leave them out.
 */
export function createEmailSender(transport: Pick<Transporter, 'sendMail'>): EmailSender {
  return {
    async send(sender, message, view) {
      if (!message.text && !message.html)
        throw new LeadloopError('validation_failed', 'an e-mail needs a text or an html body');
      if (message.commercial) {
        if (!message.unsubscribeUrl)
          throw new LeadloopError('validation_failed', 'commercial e-mail needs an unsubscribe link');
        if (!sender.postalAddress.trim())
          throw new LeadloopError('validation_failed', "commercial e-mail needs the sender's postal address");
      }
      let text = message.text === undefined ? undefined : renderTemplate(message.text, view, 'text');
      let html = message.html === undefined ? undefined : renderTemplate(message.html, view, 'html');
      const headers: Record<string, string> = {};
      if (message.commercial && message.unsubscribeUrl) {
        text &&= `${text}\n\n--\n${sender.postalAddress}\nUnsubscribe: ${message.unsubscribeUrl}\n`;
        html &&= `${html}\n<hr><p style="font-size:12px;color:#666">${escapeHtml(sender.postalAddress)}<br><a href="${escapeHtml(message.unsubscribeUrl)}">Unsubscribe</a></p>`;
        headers['List-Unsubscribe'] = `<${message.unsubscribeUrl}>`;
        headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
      }
      headers['X-Leadloop-Idempotency-Key'] = message.idempotencyKey;
      const messageId = messageIdFor(message.idempotencyKey, sender.from);
      const info = await transport.sendMail({
        from: sender.from,
        ...(sender.replyTo ? { replyTo: sender.replyTo } : {}),
        to: message.to,
        subject: renderTemplate(message.subject, view, 'text'),
        ...(text !== undefined ? { text } : {}),
        ...(html !== undefined ? { html } : {}),
        messageId,
        headers,
      });
      return {
        messageId,
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
      };
    },
  };
}
