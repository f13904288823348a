/**
 * The embed: `<script src="https://HOST/widget.js" data-workspace="ws_..." data-key="pk_..." async>`.
 * It defines `<leadloop-chat>` and mounts one, configured from the script tag, at the end of the body.
 */
import { LeadloopChat } from './element.ts';

const TAG = 'leadloop-chat';
const ATTRIBUTES = ['workspace', 'key', 'playbook', 'locale', 'title', 'color'];

function mount(script: HTMLScriptElement): void {
  if (document.querySelector(TAG)) return;
  const element = document.createElement(TAG);
  for (const name of ATTRIBUTES) {
    const value = script.getAttribute(`data-${name}`);
    if (value !== null) element.setAttribute(`data-${name}`, value);
  }
  // The API is where the script came from, unless the tag says otherwise (a script served from a CDN).
  element.setAttribute(
    'data-api',
    script.getAttribute('data-api') ?? new URL(script.src, location.href).origin,
  );
  document.body.append(element);
}

if (!customElements.get(TAG)) customElements.define(TAG, LeadloopChat);
const script =
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[data-key][src*="widget"]');
if (script?.src && script.getAttribute('data-key')) {
  if (document.body) mount(script);
  else document.addEventListener('DOMContentLoaded', () => mount(script), { once: true });
}
