import { assertNever } from '../core/index.ts';
import type { LeadFacts } from './context.ts';
import type { DraftedMessage } from './question-schemas.ts';
import { safeDisplayName } from './safety.ts';
import type { Industry, NextAction, Region } from './vocabulary.ts';

/**
 * Drafted messages for `lead.next_action`. Templates only quote what passed the display checks
 * (a first name); nothing the lead typed is copied into a message.
 */

/** What the drafter knows beyond the facts: the agent's region (tone) and industry (compliance lines). */
export interface DraftStyle {
  region: Region | null;
  industry: Industry | null;
  contactName: string | null;
  missing: string[];
}

const MISSING_EN: Record<string, string> = {
  need: 'what you would like to achieve',
  authority: 'who else is involved in the decision',
  timeline: 'when you plan to start',
  budget: 'the budget you have in mind',
  consent: 'whether we may contact you about this',
  sponsor: 'who sponsors the compliance review on your side',
};
const MISSING_DE: Record<string, string> = {
  need: 'welches Ziel Sie verfolgen',
  authority: 'wer außer Ihnen an der Entscheidung beteiligt ist',
  timeline: 'wann Sie starten möchten',
  budget: 'welches Budget Sie vorsehen',
  consent: 'ob wir Sie dazu kontaktieren dürfen',
  sponsor: 'wer die Compliance-Prüfung bei Ihnen verantwortet',
};

function industryLine(industry: Industry | null, german: boolean): string {
  switch (industry) {
    case 'healthcare':
      return german
        ? ' Gerne stellen wir Ihnen unsere HIPAA- und DSGVO-Dokumentation für Ihre Compliance-Prüfung bereit.'
        : ' We can share our HIPAA and GDPR documentation for your compliance review.';
    case 'finance':
      return german
        ? ' Unser SOC-2-Bericht und die Sicherheitsdokumentation stehen für Ihre Prüfung bereit.'
        : ' Our SOC 2 report and security documentation are ready for your review.';
    default:
      return '';
  }
}

function english(action: NextAction, style: DraftStyle, formal: boolean): { subject: string; body: string } {
  const name = safeDisplayName(style.contactName);
  const greeting = name ? `${formal ? 'Dear' : 'Hi'} ${name},` : formal ? 'Good day,' : 'Hi there,';
  const extra = industryLine(style.industry, false);
  switch (action) {
    case 'route_to_rep':
      return {
        subject: 'Your next step with our team',
        body: `${greeting}\n\nthank you for your interest. A specialist from our team will contact you within one business day to discuss your goals and the next steps.${extra}`,
      };
    case 'start_nurture':
      return {
        subject: 'Resources for your evaluation',
        body:
          style.industry === 'saas'
            ? `${greeting}\n\nthank you for your interest. The quickest way to see the value is a free trial; we will send you a short guide to get started and check in on how it goes.`
            : `${greeting}\n\nthank you for your interest. Over the next weeks we will send you a few practical guides and customer examples that match your situation; reply at any time to talk to a specialist.${extra}`,
      };
    case 'ask_for_info': {
      const asks = style.missing.map((key) => MISSING_EN[key] ?? key);
      const list = asks.length > 0 ? asks.join('; ') : 'a little more about your plans';
      return {
        subject: 'A quick question before we continue',
        body: `${greeting}\n\nthank you for getting in touch. So that we can help you properly, could you tell us ${list}?${extra}`,
      };
    }
    case 'disqualify':
      return {
        subject: 'Thank you for your interest',
        body: `${greeting}\n\nthank you for your interest. Based on what you shared, our offer is probably not the right fit at the moment. Our free resources remain available, and you are welcome back whenever your plans change.`,
      };
    default:
      return assertNever(action, 'next action');
  }
}

function german(action: NextAction, style: DraftStyle): { subject: string; body: string } {
  const greeting = 'Guten Tag,';
  const extra = industryLine(style.industry, true);
  switch (action) {
    case 'route_to_rep':
      return {
        subject: 'Ihr nächster Schritt mit unserem Team',
        body: `${greeting}\n\nvielen Dank für Ihr Interesse. Eine Ansprechpartnerin oder ein Ansprechpartner aus unserem Team meldet sich innerhalb eines Werktags bei Ihnen, um Ihre Ziele und die nächsten Schritte zu besprechen.${extra}`,
      };
    case 'start_nurture':
      return {
        subject: 'Informationen für Ihre Evaluierung',
        body: `${greeting}\n\nvielen Dank für Ihr Interesse. In den kommenden Wochen senden wir Ihnen einige praxisnahe Leitfäden und Kundenbeispiele; Sie können jederzeit antworten, um mit uns zu sprechen.${extra}`,
      };
    case 'ask_for_info': {
      const asks = style.missing.map((key) => MISSING_DE[key] ?? key);
      const list = asks.length > 0 ? asks.join('; ') : 'etwas mehr über Ihre Pläne';
      return {
        subject: 'Eine kurze Rückfrage',
        body: `${greeting}\n\nvielen Dank für Ihre Anfrage. Damit wir Sie gut beraten können: Würden Sie uns mitteilen, ${list}?${extra}`,
      };
    }
    case 'disqualify':
      return {
        subject: 'Vielen Dank für Ihr Interesse',
        body: `${greeting}\n\nvielen Dank für Ihr Interesse. Nach Ihren Angaben passt unser Angebot derzeit voraussichtlich nicht. Unsere kostenlosen Ressourcen stehen Ihnen weiterhin zur Verfügung.`,
      };
    default:
      return assertNever(action, 'next action');
  }
}

/** Drafts the message for an action in the tone the agent's region asks for. */
export function draftMessage(action: NextAction, facts: LeadFacts, style: DraftStyle): DraftedMessage {
  const formal = style.region === 'dach' || style.region === 'apac';
  const useGerman = style.region === 'dach' && facts.language === 'de';
  const { subject, body } = useGerman ? german(action, style) : english(action, style, formal);
  const channel: DraftedMessage['channel'] =
    facts.source === 'chat' && action === 'ask_for_info' ? 'chat' : 'email';
  return {
    channel,
    subject: channel === 'email' ? subject : null,
    body,
    language: useGerman ? 'de' : 'en',
    tone: formal ? 'formal' : 'neutral',
  };
}
