import { createHash, randomBytes } from 'node:crypto';
import type { KeyScope } from '../core/index.ts';

/** `ll_<scope>_<43 chars>`: the scope is visible to a person, the rest is 256 random bits. */
export function generateApiKey(scope: KeyScope): string {
  return `ll_${scope}_${randomBytes(32).toString('base64url')}`;
}

/** Keys are stored as sha256: they are long random strings, so a slow hash adds nothing. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Publishable widget key: identifies a workspace from a web page; grants only starting chats. */
export function generateWidgetKey(): string {
  return `pk_${randomBytes(18).toString('base64url')}`;
}
