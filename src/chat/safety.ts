import { err, LeadloopError, ok, type Result } from '../core/index.ts';
import { fold } from './text.ts';

/** Why a message was refused. */
export type SafetyCategory =
  | 'instruction_override'
  | 'prompt_extraction'
  | 'role_play'
  | 'data_exfiltration'
  | 'code_injection'
  | 'abuse';

/** Whether a message may be read; if not, why and whether it was disguised. */
export type SafetyVerdict = { safe: true } | { safe: false; category: SafetyCategory; encoded: boolean };

/** Default longest visitor message, in characters. */
export const MAX_MESSAGE_CHARS = 2_000;

/**
 * Checks a visitor message before the engine reads it: not empty, not longer than `maxChars`.
 * `payload_too_large` and `validation_failed` map to 413 and 422 problem responses.
 */
export function checkMessage(text: unknown, maxChars = MAX_MESSAGE_CHARS): Result<string, LeadloopError> {
  if (typeof text !== 'string') {
    return err(
      new LeadloopError('validation_failed', 'the message must be a string', {
        issues: [{ field: 'text', reason: 'must be a string' }],
      }),
    );
  }
  const trimmed = text.trim();
  if (trimmed.length === 0) {
    return err(
      new LeadloopError('validation_failed', 'the message is empty', {
        issues: [{ field: 'text', reason: 'must not be empty' }],
      }),
    );
  }
  if ([...text].length > maxChars) {
    return err(
      new LeadloopError('payload_too_large', `the message is longer than ${maxChars} characters`, {
        issues: [{ field: 'text', reason: `must be at most ${maxChars} characters` }],
      }),
    );
  }
  return ok(trimmed);
}

const INSTRUCTION_WORDS =
  '(?:instructions?|prompts?|rules?|directions?|directives?|guidelines?|programming|constraints?|guardrails?|restrictions?|system message|context|policies|policy|orders|commands?)';
const REQUEST =
  '(?:^|[.!?]\\s*|\\b(?:can|could|would|will) you\\s+|\\bplease\\s+|\\bi (?:want|need) you to\\s+|\\bnow\\s+)(?:list|print|show|dump|export|give|send|tell|reveal|display|read out|leak|share|forward|output|fetch|retrieve|query|select|paste)\\b(?:\\s+(?:me|us))?';
const PATTERNS: { category: SafetyCategory; pattern: RegExp }[] = [
  {
    category: 'code_injection',
    pattern:
      /<\s*\/?\s*(?:script|iframe|img|svg|object|embed|style)\b|\bjavascript\s*:|\bon(?:error|load|click)\s*=|\bdrop\s+table\b|\bunion\s+(?:all\s+)?select\b|'\s*or\s+'?1'?\s*=\s*'?1|;\s*--|\bselect\s+\*\s+from\b|\{\{.*\}\}|\$\{.*\}|\[\/?inst\]|<\|im_(?:start|end)\|>|<\/?s>|^\s*#{2,}\s*(?:system|instruction)|^\s*(?:system|assistant)\s*:|\bexec\s*\(|\beval\s*\(|\brm\s+-rf\b/m,
  },
  {
    category: 'instruction_override',
    pattern: new RegExp(
      `\\b(?:ignore|disregard|forget|override|bypass|abandon|discard)\\b.{0,40}\\b(?:previous|prior|above|earlier|preceding|all|your|any|these|those|original|initial|system|my)\\b.{0,30}\\b${INSTRUCTION_WORDS}|\\b(?:ignore|disregard|forget)\\b.{0,10}\\bthe\\s+${INSTRUCTION_WORDS}|\\bforget (?:everything|all(?: of)?(?: that)?|what) (?:you(?:'ve| have| were| are)? (?:been )?(?:told|instructed|programmed|taught)|above|before)|\\bnew (?:instructions?|rules)\\s*:|\\bignoriere?\\b.{0,30}\\b(?:anweisungen|regeln|vorgaben)|\\bignora\\b.{0,30}\\b(?:instrucciones|reglas)|\\bignore[zr]?\\b.{0,30}\\b(?:instructions|consignes|regles)\\b|\\boublie[zr]?\\b.{0,30}\\b(?:instructions|consignes)`,
    ),
  },
  {
    category: 'prompt_extraction',
    pattern:
      /\b(?:system|initial|hidden|original|developer|secret|internal|pre-?)[\s_-]*(?:prompt|message|instructions?|rules|configuration|config)\b|\b(?:reveal|show|print|display|repeat|output|tell|give|share|leak|dump|recite|paste|type out|write out|spell out|what (?:are|were|is))\b.{0,30}\b(?:your|the|ur)\b.{0,25}\b(?:instructions?|prompt|rules|guidelines|configuration|config|programming|directives)\b|\b(?:repeat|print|output)\b.{0,20}\b(?:text|words|everything|message|lines?)\b.{0,10}\b(?:above|before|so far|preceding)\b|\bwhat (?:were|are) you (?:told|instructed|programmed|prompted)\b|\bhow (?:were|are) you (?:configured|programmed|prompted|instructed)\b|\bsystem-?prompt\b|\b(?:zeig|nenne|verrate)\w*\b.{0,20}\b(?:deine|ihre)\b.{0,15}\b(?:anweisungen|regeln|prompt)|\b(?:muestrame|dime|revela)\b.{0,20}\b(?:tus|sus)\b.{0,15}\b(?:instrucciones|reglas)|\b(?:montre|donne|revele)\w*\b.{0,20}\b(?:tes|vos)\b.{0,15}\b(?:instructions|consignes|regles)/,
  },
  {
    category: 'role_play',
    pattern:
      /\b(?:you are now|you're now|you are no longer|you're no longer|from now on,? you(?: are|'re| will)?|pretend (?:to be|you are|you're|that you)|(?:you (?:will|must|should|shall) )act as|(?:^|[.!?]\s*)(?:please\s+)?act as|roleplay as|role-play as|let'?s (?:role-?play|play a game)|simulate (?:a|an|being)|imagine you are|you have no (?:rules|restrictions|limits)|do anything now|dan mode|you are dan|as dan|jailbreak|jailbroken|developer mode|dev mode|god mode|admin mode|sudo mode|debug mode|maintenance mode|unrestricted mode|without (?:any )?(?:restrictions|filters|rules)|evil (?:bot|assistant|twin)|stay in character|du bist jetzt|tu es maintenant|ahora eres|a partir de ahora eres)\b/,
  },
  {
    category: 'data_exfiltration',
    pattern: new RegExp(
      [
        `${REQUEST}.{0,40}\\b(?:lead list|(?:all|your|the|every|other)\\s+(?:\\w+\\s+)?leads|(?:your|the) (?:database|db|tables?)|crm data|(?:your|the|all) records|transcripts?|chat logs?|conversation logs?|other (?:people'?s? )?conversations|api keys?|passwords?|credentials|secrets?|access tokens?|env(?:ironment)? variables|config(?:uration)? files?)\\b`,
        `${REQUEST}.{0,30}\\b(?:all|every|list of|the list of|e-?mails? of|names of|data (?:of|on|about)|details of|contact details of|phone numbers of|everyone'?s?)\\b.{0,20}\\b(?:customers?|clients?|visitors?|users?|contacts?|leads?|prospects?|people|sessions?|accounts?|e-?mails?|phone numbers)\\b`,
        "\\b(?:other|previous|last|another|all (?:the )?other|earlier)\\s+(?:visitors?|users?|customers?|sessions?|people|persons?|leads?|clients?|prospects?)(?:'s?)?\\b.{0,40}\\b(?:data|e-?mails?|information|info|details|said|wrote|budgets?|names?|numbers?|messages?|answers?|conversations?)\\b",
        '\\b(?:who else|which (?:other )?companies|what (?:other )?companies)\\b.{0,30}\\b(?:talked|chatted|spoke|asked|signed up|contacted|visited)\\b',
        '\\b(?:api[_ -]?keys?|secret keys?|access tokens?|env(?:ironment)? var(?:iable)?s?|(?:your|the|admin|root) passwords?)\\b',
      ].join('|'),
    ),
  },
  {
    category: 'abuse',
    pattern:
      /\b(?:fuck\w*|f\*+k|shit(?:ty)?|bitch\w*|asshole|bastard|cunt|dickhead|motherfucker|wanker|twat|retard(?:ed)?|kill yourself|kys|go to hell|piece of (?:shit|crap|garbage)|scheisse|arschloch|hurensohn|fotze|wichser|mierda|puta|pendejo|gilipollas|cabron|putain|connard|salope|encule|merde)\b|\byou(?:'re| are)\s+(?:so\s+|such\s+an?\s+|a\s+|an\s+)?(?:stupid|useless|dumb|idiot|moron|pathetic|worthless|garbage|trash)\b|\b(?:stupid|useless|dumb|idiotic|worthless)\s+(?:bot|robot|machine|ai|thing|assistant)\b|\b(?:bot|robot|assistant|chatbot|machine|thing) is (?:so |really |just )?(?:stupid|useless|dumb|garbage|trash|pathetic)\b|\b(?:idiot|moron|dumbass|jackass)\b/,
  },
];

const ZERO_WIDTH = /[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]/g;
const HOMOGLYPHS: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  х: 'x',
  у: 'y',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ɡ: 'g',
  ո: 'n',
  ս: 'u',
  α: 'a',
  ε: 'e',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  ν: 'v',
  ι: 'i',
  κ: 'k',
};
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
  '!': 'i',
};

function plain(text: string): string {
  const folded = fold(text.normalize('NFKC').replace(ZERO_WIDTH, ''));
  return [...folded].map((c) => HOMOGLYPHS[c] ?? c).join('');
}

function deLeet(text: string): string {
  return text.replace(/[0134578@$!]/g, (c) =>
    /[a-z][0134578@$!]|[0134578@$!][a-z]/.test(text) ? (LEET[c] ?? c) : c,
  );
}

/** "i g n o r e", "i.g.n.o.r.e" and "i-g-n-o-r-e" back to "ignore". */
function unspace(text: string): string {
  return text.replace(/\b(?:\p{L}[\s.\-_*]){3,}\p{L}\b/gu, (run) => run.replace(/[\s.\-_*]/g, ''));
}

function rot13(text: string): string {
  return text.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97));
}

function decodedParts(text: string): string[] {
  const parts: string[] = [];
  for (const token of text.match(/[A-Za-z0-9+/_-]{16,}={0,2}/g) ?? []) {
    const decoded = Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    if (/^[\p{L}\p{N}\p{P}\p{Zs}]{8,}$/u.test(decoded)) parts.push(decoded);
  }
  for (const token of text.match(/(?:[0-9a-fA-F]{2}[\s:]?){8,}/g) ?? []) {
    const decoded = Buffer.from(token.replace(/[\s:]/g, ''), 'hex').toString('utf8');
    if (/^[\p{L}\p{N}\p{P}\p{Zs}]{6,}$/u.test(decoded)) parts.push(decoded);
  }
  if (/%[0-9a-f]{2}/i.test(text)) {
    try {
      parts.push(decodeURIComponent(text));
    } catch {
      // not URL-encoded after all
    }
  }
  if (/&#x?[0-9a-f]+;/i.test(text)) {
    parts.push(
      text.replace(/&#(x?)([0-9a-f]+);/gi, (_, hex: string, n: string) =>
        String.fromCodePoint(Number.parseInt(n, hex ? 16 : 10)),
      ),
    );
  }
  return parts;
}

function firstMatch(text: string): SafetyCategory | undefined {
  return PATTERNS.find(({ pattern }) => pattern.test(text))?.category;
}

/**
 * Reads a visitor message for prompt injection, attempts to get at other data, code and abuse,
 * including disguised forms: zero-width characters, look-alike letters, leetspeak, spaced-out
 * letters, base64, hex, URL and HTML encoding, ROT13 and reversed text.
 */
export function assessMessage(text: string): SafetyVerdict {
  const base = plain(text);
  const direct = firstMatch(base);
  // Hidden characters or look-alike letters count as disguise even when the plain text matches.
  if (direct !== undefined) return { safe: false, category: direct, encoded: base !== fold(text) };
  const variants = [
    deLeet(base),
    unspace(base),
    unspace(deLeet(base)),
    rot13(base),
    [...base].reverse().join(''),
  ];
  for (const part of decodedParts(text)) variants.push(plain(part));
  for (const variant of variants) {
    const category = firstMatch(variant);
    if (category !== undefined && category !== 'abuse') return { safe: false, category, encoded: true };
  }
  return { safe: true };
}
