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
 * Format: `sb2.<key id>.<salt>.<iv>.<ciphertext>.<tag>`, base64url parts; the key id names the
 * master key that sealed it, so a box can hold the previous master keys while they are rotated
 * out (`leadloop keys rotate-master`). Values of the first format, `sb1.<salt>.<iv>.<ciphertext>.<tag>`
 * (no key id), still open: each key is tried.
 */
export interface SecretBox {
  /** Seals with the current key. */
  seal(plaintext: string, context: string): string;
  /** Throws on an unknown key, a wrong context or any tampering. */
  open(sealed: string, context: string): string;
  /** Whether `sealed` is already sealed with the current key (a rotation skips it). */
  isCurrent(sealed: string): boolean;
}

const PREFIX = 'sb2';
const LEGACY_PREFIX = 'sb1';

/** A master key's public name (8 bytes of an HKDF output, hex): safe to store beside what it sealed. */
export function masterKeyId(key: Uint8Array): string {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'leadloop master key id', 8)).toString('hex');
}

/**
 * A box over `key` (32 bytes) that also opens what the `previous` keys sealed (during a rotation).
 */
export function createSecretBox(key: Uint8Array, previous: readonly Uint8Array[] = []): SecretBox {
  const keys = [key, ...previous].map((k) => {
    invariant(k.byteLength === 32, 'secret box key must be 32 bytes');
    const master = Buffer.from(k);
    return {
      id: masterKeyId(master),
      dataKey: (salt: Buffer) => Buffer.from(hkdfSync('sha256', master, salt, 'leadloop secret box', 32)),
    };
  });
  const current = keys[0] as (typeof keys)[number];
  const decrypt = (dataKey: Buffer, parts: string[], context: string) => {
    const [iv, body, tag] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer];
    // A full 16-byte tag only: Node would accept a truncated one (DEP0182), weakening forgery resistance.
    const decipher = createDecipheriv('aes-256-gcm', dataKey, iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  };
  return {
    seal(plaintext, context) {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.dataKey(salt), iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [salt, iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
      return `${PREFIX}.${current.id}.${parts.join('.')}`;
    },
    open(sealed, context) {
      const parts = sealed.split('.');
      if (parts.length === 6 && parts[0] === PREFIX) {
        const key = keys.find((k) => k.id === parts[1]);
        if (!key)
          throw new LeadloopError(
            'validation_failed',
            `sealed with master key ${parts[1]}, which this process does not hold`,
          );
        return decrypt(key.dataKey(Buffer.from(parts[2] as string, 'base64url')), parts.slice(3), context);
      }
      if (parts.length !== 5 || parts[0] !== LEGACY_PREFIX)
        throw new LeadloopError('validation_failed', 'not a sealed value');
      const salt = Buffer.from(parts[1] as string, 'base64url');
      let failure: unknown;
      for (const key of keys) {
        try {
          return decrypt(key.dataKey(salt), parts.slice(2), context);
        } catch (error) {
          failure = error;
        }
      }
      throw failure;
    },
    isCurrent: (sealed) => sealed.startsWith(`${PREFIX}.${current.id}.`),
  };
}

/** True when `value` looks like the output of `SecretBox.seal` (for migrating plaintext rows). */
export function isSealed(value: string): boolean {
  return value.startsWith(`${PREFIX}.`) || value.startsWith(`${LEGACY_PREFIX}.`);
}

/** A fresh random 32-byte key. */
export function generateSecretKey(): Buffer {
  return randomBytes(32);
}
