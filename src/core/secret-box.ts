import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { invariant, LeadloopError } from './errors.ts';

/**
 * Authenticated encryption for secrets and personal data at rest (AES-256-GCM).
 *
 * A box holds one 32-byte master key. Each sealed value gets its own random data key derived with
 * HKDF from the master key and a random salt, so no two values share a key and a stolen row reveals
 * nothing without the master key (which never enters the database). `context` is bound as
 * additional authenticated data: a value sealed for one workspace or purpose does not open under
 * another (a row copied between tenants fails to decrypt instead of leaking).
 *
 * Crypto-shredding: give each subject its own box (its key stored apart, itself sealed by the
 * workspace box); deleting that key makes every value sealed with it unreadable for good.
 *
 * Format: `sb1.<salt>.<iv>.<ciphertext>.<tag>`, base64url parts.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws on a wrong key, a wrong context or any tampering. */
  open(sealed: string, context: string): string;
}

const PREFIX = 'sb1';

/** A box over `key` (32 bytes). */
export function createSecretBox(key: Uint8Array): SecretBox {
  invariant(key.byteLength === 32, 'secret box key must be 32 bytes');
  const master = Buffer.from(key);
  const dataKey = (salt: Buffer) => Buffer.from(hkdfSync('sha256', master, salt, 'leadloop secret box', 32));
  return {
    seal(plaintext, context) {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', dataKey(salt), iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [salt, iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
      return `${PREFIX}.${parts.join('.')}`;
    },
    open(sealed, context) {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== PREFIX)
        throw new LeadloopError('validation_failed', 'not a sealed value');
      const [salt, iv, body, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [
        Buffer,
        Buffer,
        Buffer,
        Buffer,
      ];
      // A full 16-byte tag only: Node would accept a truncated one (DEP0182), weakening forgery resistance.
      const decipher = createDecipheriv('aes-256-gcm', dataKey(salt), iv, { authTagLength: 16 });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    },
  };
}

/** True when `value` looks like the output of `SecretBox.seal` (for migrating plaintext rows). */
export function isSealed(value: string): boolean {
  return value.startsWith(`${PREFIX}.`);
}

/** A fresh random 32-byte key. */
export function generateSecretKey(): Buffer {
  return randomBytes(32);
}
