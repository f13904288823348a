import Mustache from 'mustache';

/**
 * Logic-less templates (Mustache): `{{lead.name}}`, sections over lists, nothing that runs code.
 * Partials are never loaded, so a template cannot pull in another file. HTML bodies escape every
 * value; plain-text bodies and subjects do not (there is no markup to break).
 */
export type TemplateView = Record<string, unknown>;

/** Throws a readable error when the template does not parse (unclosed section, bad tag). */
export function renderTemplate(template: string, view: TemplateView, mode: 'html' | 'text'): string {
  return Mustache.render(
    template,
    view,
    {},
    mode === 'html' ? undefined : { escape: (value: string) => value },
  );
}
