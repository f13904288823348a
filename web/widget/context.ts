import type { PageContext, UtmKey, WidgetConfig } from './types.ts';

const UTM_KEYS: readonly UtmKey[] = ['source', 'medium', 'campaign', 'term', 'content'];

/**
 * What the widget tells the server about the page. The page URL keeps only its `utm_*`
 * parameters: query strings often carry tokens or e-mail addresses the chat has no use for.
 */
export function pageContext(location: { href: string }, referrer: string, gpc: unknown): PageContext {
  const url = new URL(location.href);
  const utm: Partial<Record<UtmKey, string>> = {};
  for (const key of UTM_KEYS) {
    const value = url.searchParams.get(`utm_${key}`);
    if (value) utm[key] = value.slice(0, 200);
  }
  const kept = new URLSearchParams();
  for (const key of UTM_KEYS) if (utm[key] !== undefined) kept.set(`utm_${key}`, utm[key]);
  const query = kept.toString();
  const context: PageContext = {
    pageUrl: `${url.origin}${url.pathname}${query ? `?${query}` : ''}`,
    gpc: gpc === true,
  };
  if (referrer) context.referrer = referrer;
  if (Object.keys(utm).length > 0) context.utm = utm;
  return context;
}

const COLOR = /^#[0-9a-f]{3,8}$/i;

/**
 * Reads the settings from a script tag or a `<leadloop-chat>` element: `data-workspace`,
 * `data-key`, optional `data-playbook`, `data-locale`, `data-title`, `data-color`; the API
 * origin is where the script came from (`data-api` overrides it for the element form).
 */
export function readConfig(
  element: Element,
  scriptSrc: string | null,
  pageHref: string,
): WidgetConfig | null {
  const attr = (name: string) => element.getAttribute(`data-${name}`)?.trim() || undefined;
  const widgetKey = attr('key');
  const source = attr('api') ?? scriptSrc;
  if (!widgetKey || !source) return null;
  const config: WidgetConfig = {
    apiOrigin: new URL(source, pageHref).origin,
    workspaceId: attr('workspace') ?? '',
    widgetKey,
    title: attr('title') ?? 'Chat with us',
  };
  const playbook = attr('playbook');
  const locale = attr('locale');
  const color = attr('color');
  if (playbook) config.playbook = playbook;
  if (locale) config.locale = locale;
  if (color && COLOR.test(color)) config.color = color;
  return config;
}
