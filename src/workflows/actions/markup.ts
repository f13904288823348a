/**
 * Markup conversions for the `render` step: Markdown → HTML, HTML → Markdown, HTML → text. They
 * cover what lead e-mails and notes use (headings, paragraphs, emphasis, links, images, lists,
 * quotes, code, rules) and nothing that runs: Markdown's own HTML is escaped, links keep only
 * http(s) and mailto targets, and HTML's scripts and styles are dropped with their content.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

/** Only targets that cannot run script survive (`javascript:` and `data:` links become `#`). */
function safeUrl(url: string): string {
  const u = url.trim();
  return /^(https?:|mailto:|\/|#)/i.test(u) || !/^[a-z][a-z0-9+.-]*:/i.test(u) ? u : '#';
}

/** Inline Markdown of one (already HTML-escaped) line. */
function inline(text: string): string {
  const codes: string[] = [];
  return text
    .replace(/`([^`]+)`/g, (_m, code: string) => {
      codes.push(`<code>${code}</code>`);
      // The text is HTML-escaped, so a `<` can only be this placeholder.
      return `<@${codes.length - 1}@>`;
    })
    .replace(
      /!\[([^\]]*)\]\(([^)\s]+)\)/g,
      (_m, alt: string, src: string) => `<img src="${safeUrl(src)}" alt="${alt}">`,
    )
    .replace(
      /\[([^\]]+)\]\(([^)\s]+)\)/g,
      (_m, label: string, href: string) => `<a href="${safeUrl(href)}">${label}</a>`,
    )
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '<strong>$2</strong>')
    .replace(/\*(?=\S)([\s\S]*?\S)\*/g, '<em>$1</em>')
    .replace(/(?<![A-Za-z0-9])_(?=\S)([\s\S]*?\S)_(?![A-Za-z0-9])/g, '<em>$1</em>')
    .replace(/<@(\d+)@>/g, (_m, i: string) => codes[Number(i)] as string);
}

export function markdownToHtml(markdown: string): string {
  const lines = escapeHtml(markdown.replace(/\r\n?/g, '\n')).split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | null = null;
  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${inline(paragraph.join('\n'))}</p>`);
    paragraph = [];
    if (list)
      out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^```/.test(line)) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !/^```/.test(lines[i] as string); i++) code.push(lines[i] as string);
      out.push(`<pre><code>${code.join('\n')}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = (heading[1] as string).length;
      out.push(`<h${level}>${inline(heading[2] as string)}</h${level}>`);
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push('<hr>');
    } else if (bullet || numbered) {
      const tag = bullet ? 'ul' : 'ol';
      if (paragraph.length > 0 || (list && list.tag !== tag)) flush();
      list ??= { tag, items: [] };
      list.items.push(((bullet ?? numbered) as RegExpExecArray)[1] as string);
    } else if (/^&gt;\s?/.test(line)) {
      flush();
      out.push(`<blockquote>${inline(line.replace(/^&gt;\s?/, ''))}</blockquote>`);
    } else if (line.trim() === '') flush();
    else {
      if (list) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  return out.join('\n');
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*|#39);/gi, (whole, name: string) => {
    if (/^#x/i.test(name)) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (/^#\d+$/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const attr = (tag: string, name: string) =>
  new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i')
    .exec(tag)
    ?.slice(2)
    .find((v) => v !== undefined) ?? '';

function htmlToBlocks(html: string, marks: boolean): string {
  const mark = (m: string) => (marks ? m : '');
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<(script|style|head|template)\b[\s\S]*?<\/\1\s*>/gi, '')
      .replace(/\s+/g, ' ')
      .replace(
        /<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi,
        (_m, n: string, t: string) => `\n\n${mark(`${'#'.repeat(Number(n))} `)}${t}\n\n`,
      )
      .replace(
        /<(strong|b)\b[^>]*>([\s\S]*?)<\/\1\s*>/gi,
        (_m, _t, t: string) => `${mark('**')}${t}${mark('**')}`,
      )
      .replace(/<(em|i)\b[^>]*>([\s\S]*?)<\/\1\s*>/gi, (_m, _t, t: string) => `${mark('_')}${t}${mark('_')}`)
      .replace(/<code\b[^>]*>([\s\S]*?)<\/code\s*>/gi, (_m, t: string) => `${mark('`')}${t}${mark('`')}`)
      .replace(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi, (_m, a: string, t: string) => {
        const href = attr(a, 'href');
        return marks && href ? `[${t}](${href})` : href && !t.includes(href) ? `${t} (${href})` : t;
      })
      .replace(/<img\b([^>]*)>/gi, (_m, a: string) =>
        marks ? `![${attr(a, 'alt')}](${attr(a, 'src')})` : attr(a, 'alt'),
      )
      .replace(/<li\b[^>]*>/gi, `\n${mark('- ')}`)
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<hr\b[^>]*>/gi, `\n\n${mark('---')}\n\n`)
      .replace(
        /<\/?(p|div|section|article|ul|ol|table|tr|blockquote|pre|header|footer|h[1-6])\b[^>]*>/gi,
        '\n\n',
      )
      .replace(/<\/t[dh]\s*>/gi, ' ')
      .replace(/<[^>]+>/g, ''),
  )
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function htmlToMarkdown(html: string): string {
  return htmlToBlocks(html, true);
}

export function htmlToText(html: string): string {
  return htmlToBlocks(html, false);
}
