import { randomFillSync } from 'node:crypto';

/** Kinds of identifiers; the prefix makes a pasted id self-describing (`lead_01J...`). */
type IdKind =
  | 'org'
  | 'ws'
  | 'key'
  | 'whs'
  /** An ingested submission (webhook, API, import, chat): the wire's `eventId`, kept for compatibility. */
  | 'evt'
  /** A domain event (`lead.qualified`, `chat.taken_over`…); before December 2026 these also used `evt_`. */
  | 'dev'
  | 'job'
  | 'lead'
  /** A workspace's message template (e-mail or SMS). */
  | 'tpl'
  | 'aud'
  | 'con'
  | 'req'
  | 'chat'
  | 'dec'
  | 'mdl'
  | 'dsr'
  | 'usr'
  | 'inv'
  | 'wf'
  | 'wfr'
  | 'wfs'
  | 'alr'
  | 'adj';

export interface IdGenerator {
  next(kind: IdKind): string;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

function encodeTime(ms: number): string {
  let out = '';
  let value = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/**
 * ULID-style ids: 48 bits of time then 80 random bits, Crockford base32, so ids sort by
 * creation time (cursor pagination relies on that) and never collide across processes.
 * Within one millisecond the random part is incremented, keeping the order monotonic.
 */
export function createIdGenerator(
  options: { now?: () => number; random?: (bytes: number) => Uint8Array } = {},
): IdGenerator {
  const now = options.now ?? Date.now;
  const random = options.random ?? pooledRandom();
  let lastTime = -1;
  let timePart = '';
  const lastRandom = new Uint8Array(16);
  // The random part's characters, decoded in one call: built a character at a time, an id was
  // 26 string concatenations (about 600 bytes of short-lived strings per id).
  const randomChars = Buffer.alloc(16);
  return {
    next(kind) {
      const time = now();
      if (time === lastTime) {
        for (let i = lastRandom.length - 1; i >= 0; i--) {
          const digit = lastRandom[i] ?? 0;
          if (digit < 31) {
            lastRandom[i] = digit + 1;
            break;
          }
          lastRandom[i] = 0;
        }
      } else {
        lastTime = time;
        timePart = encodeTime(time);
        const bytes = random(16);
        for (let i = 0; i < 16; i++) lastRandom[i] = (bytes[i] ?? 0) % 32;
      }
      for (let i = 0; i < 16; i++) randomChars[i] = ALPHABET_CODES[lastRandom[i] ?? 0] ?? 0;
      return `${kind}_${timePart}${randomChars.toString('latin1')}`;
    },
  };
}

/**
 * Random bytes drawn from a 4 KiB pool refilled when spent: one `randomBytes(16)` per id was
 * about 4% of the HTTP thread's CPU at a few thousand ids a second (a call into the OS's
 * generator and a fresh buffer each time).
 */
function pooledRandom(): (bytes: number) => Uint8Array {
  const pool = new Uint8Array(4096);
  let offset = pool.length;
  return (n) => {
    if (offset + n > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const out = pool.subarray(offset, offset + n);
    offset += n;
    return out;
  };
}
