import { h, ICONS, icon, safeHttpUrl } from './dom.ts';
import type { Strings } from './i18n.ts';
import { STYLES } from './styles.ts';
import type { ChatMessage } from './types.ts';

/** The widget's elements, built once inside its shadow root. */
export interface View {
  launcher: HTMLButtonElement;
  badge: HTMLSpanElement;
  panel: HTMLElement;
  subtitle: HTMLParagraphElement;
  close: HTMLButtonElement;
  log: HTMLDivElement;
  typing: HTMLDivElement;
  alert: HTMLDivElement;
  alertText: HTMLSpanElement;
  alertButton: HTMLButtonElement;
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
}

/** Largest message the API accepts. */
const MAX_CHARS = 2000;

export function buildView(root: ShadowRoot, title: string, t: Strings): View {
  const badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const launcher = h(
    'button',
    {
      class: 'launcher',
      type: 'button',
      'aria-label': t.launcher,
      'aria-expanded': 'false',
      'aria-controls': 'll-panel',
      'aria-haspopup': 'dialog',
    },
    icon(ICONS.chat, 'i-chat'),
    icon(ICONS.close, 'i-close'),
    badge,
  );
  const subtitle = h('p', { id: 'll-sub' }, t.subtitle);
  const close = h('button', { class: 'icon', type: 'button', 'aria-label': t.close }, icon(ICONS.close));
  const typing = h('div', { class: 'typing', hidden: true, 'aria-hidden': 'true' }, h('i'), h('i'), h('i'));
  const log = h(
    'div',
    { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.log, tabindex: '0' },
    typing,
  );
  const alertText = h('span');
  const alertButton = h('button', { type: 'button' }, t.retry);
  const alert = h('div', { class: 'alert', role: 'alert', hidden: true }, alertText, alertButton);
  const input = h('textarea', {
    id: 'll-input',
    rows: '1',
    maxlength: String(MAX_CHARS),
    placeholder: t.placeholder,
    enterkeyhint: 'send',
    autocomplete: 'off',
  });
  const send = h('button', { class: 'send', type: 'submit', 'aria-label': t.send }, icon(ICONS.send));
  const form = h('form', {}, h('label', { class: 'sr', for: 'll-input' }, t.inputLabel), input, send);
  const panel = h(
    'section',
    { class: 'panel', id: 'll-panel', role: 'dialog', 'aria-labelledby': 'll-title', hidden: true },
    h('header', {}, h('div', { class: 'who' }, h('h2', { id: 'll-title' }, title), subtitle), close),
    log,
    alert,
    form,
  );
  // A constructed sheet works under a strict Content-Security-Policy (no 'unsafe-inline' styles).
  if ('adoptedStyleSheets' in root && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    root.adoptedStyleSheets = [sheet];
  } else root.append(h('style', {}, STYLES));
  root.append(launcher, panel);
  return {
    launcher,
    badge,
    panel,
    subtitle,
    close,
    log,
    typing,
    alert,
    alertText,
    alertButton,
    form,
    input,
    send,
  };
}

/**
 * A message bubble, plus its meeting button and quick replies. Text is set as text, never HTML;
 * the meeting URL, shown as a button, is taken out of the sentence that carries it.
 */
export function messageNodes(
  message: ChatMessage,
  t: Strings,
  onQuickReply: (text: string) => void,
): HTMLElement[] {
  const url = message.link ? safeHttpUrl(message.link.url) : null;
  let text = message.text;
  if (url && message.link) text = text.replace(message.link.url, '').replace(/\s+$/, '');
  const bubble = h('div', { class: `msg ${message.role}`, 'data-id': message.id });
  if (message.role === 'agent') bubble.append(h('span', { class: 'by' }, message.author ?? t.agent));
  else bubble.append(h('span', { class: 'sr' }, `${message.role === 'visitor' ? t.you : t.assistant} `));
  bubble.append(text);
  const nodes: HTMLElement[] = [bubble];
  if (url && message.link) {
    const label = message.link.label || url;
    nodes.push(
      h(
        'div',
        { class: 'actions' },
        h(
          'a',
          { class: 'cta', href: url, target: '_blank', rel: 'noopener noreferrer' },
          icon(ICONS.calendar),
          label,
          h('span', { class: 'sr' }, ` ${t.newTab}`),
        ),
      ),
    );
  }
  const noticeUrl = message.notice ? safeHttpUrl(message.notice.url) : null;
  if (noticeUrl && message.notice)
    nodes.push(
      h(
        'p',
        { class: 'notice' },
        h(
          'a',
          { href: noticeUrl, target: '_blank', rel: 'noopener noreferrer' },
          t.notice(message.notice.version),
          h('span', { class: 'sr' }, ` ${t.newTab}`),
        ),
      ),
    );
  const replies = message.role === 'visitor' ? [] : (message.quickReplies ?? []).filter((r) => r.trim());
  if (replies.length > 0) {
    const group = h('div', { class: 'actions quick', role: 'group', 'aria-label': t.suggestions });
    for (const reply of replies) {
      const chip = h('button', { class: 'chip', type: 'button' }, reply);
      chip.addEventListener('click', () => onQuickReply(reply));
      group.append(chip);
    }
    nodes.push(group);
  }
  return nodes;
}
