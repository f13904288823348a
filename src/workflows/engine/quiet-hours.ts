import { partsIn } from './time.ts';

/**
 * When an SMS or automated call may reach its recipient: between 8:00 and 21:00 on the recipient's
 * clock (the TCPA's calling window, 47 CFR 64.1200(c)(1), applied to every country). The clock is
 * the lead's own time zone when known, else the zones of the number's country (from its calling
 * code), else of the lead's country; a country that spans several zones sends only while the
 * window is open in all of them, so no recipient there is reached at night.
 */
const OPENS_HOUR = 8;
const CLOSES_HOUR = 21;
const QUARTER_HOUR = 15 * 60_000;

/** Calling codes (E.164 prefixes) of the countries Leadloop's leads mostly come from. */
const CALLING_CODES: Record<string, string> = {
  '1': 'US',
  '7': 'RU',
  '27': 'ZA',
  '31': 'NL',
  '32': 'BE',
  '33': 'FR',
  '34': 'ES',
  '39': 'IT',
  '41': 'CH',
  '43': 'AT',
  '44': 'GB',
  '45': 'DK',
  '46': 'SE',
  '47': 'NO',
  '48': 'PL',
  '49': 'DE',
  '52': 'MX',
  '55': 'BR',
  '61': 'AU',
  '64': 'NZ',
  '65': 'SG',
  '81': 'JP',
  '82': 'KR',
  '86': 'CN',
  '91': 'IN',
  '351': 'PT',
  '353': 'IE',
  '358': 'FI',
  '971': 'AE',
};

/** Canadian area codes of the North American Numbering Plan; the other +1 numbers count as US (TCPA applies). */
const CANADIAN_AREA_CODES = new Set(
  '204 226 236 249 250 263 289 306 343 354 365 367 368 382 403 416 418 428 431 437 438 450 468 474 506 514 519 548 579 581 584 587 604 613 639 647 672 683 705 709 742 753 778 780 782 807 819 825 867 873 879 902 905'.split(
    ' ',
  ),
);

/** IANA zones by country; the first is where most people live (the fallback when the others leave no window). */
const ZONES: Record<string, readonly string[]> = {
  US: [
    'America/New_York',
    'America/Chicago',
    'America/Denver',
    'America/Phoenix',
    'America/Los_Angeles',
    'America/Anchorage',
    'Pacific/Honolulu',
  ],
  CA: [
    'America/Toronto',
    'America/St_Johns',
    'America/Halifax',
    'America/Winnipeg',
    'America/Edmonton',
    'America/Vancouver',
  ],
  MX: ['America/Mexico_City', 'America/Cancun', 'America/Hermosillo', 'America/Tijuana'],
  BR: ['America/Sao_Paulo', 'America/Manaus', 'America/Rio_Branco'],
  AU: ['Australia/Sydney', 'Australia/Brisbane', 'Australia/Adelaide', 'Australia/Perth'],
  RU: ['Europe/Moscow'],
  ZA: ['Africa/Johannesburg'],
  NL: ['Europe/Amsterdam'],
  BE: ['Europe/Brussels'],
  FR: ['Europe/Paris'],
  ES: ['Europe/Madrid'],
  IT: ['Europe/Rome'],
  CH: ['Europe/Zurich'],
  AT: ['Europe/Vienna'],
  GB: ['Europe/London'],
  DK: ['Europe/Copenhagen'],
  SE: ['Europe/Stockholm'],
  NO: ['Europe/Oslo'],
  PL: ['Europe/Warsaw'],
  DE: ['Europe/Berlin'],
  NZ: ['Pacific/Auckland'],
  SG: ['Asia/Singapore'],
  JP: ['Asia/Tokyo'],
  KR: ['Asia/Seoul'],
  CN: ['Asia/Shanghai'],
  IN: ['Asia/Kolkata'],
  PT: ['Europe/Lisbon'],
  IE: ['Europe/Dublin'],
  FI: ['Europe/Helsinki'],
  AE: ['Asia/Dubai'],
};

/**
 * The number in E.164 (`+` and digits), or null when it is not a phone number. A number without a
 * `+` (or `00`) is read as national in `country` when that country's calling code is known.
 */
export function toE164(raw: string, country: string | null): string | null {
  const trimmed = raw.trim();
  const digits = trimmed.replace(/[\s().-]/g, '');
  let e164: string | null = null;
  if (/^\+\d{6,15}$/.test(digits)) e164 = digits;
  else if (/^00\d{6,15}$/.test(digits)) e164 = `+${digits.slice(2)}`;
  else if (/^\d{6,15}$/.test(digits) && country) {
    const code = Object.entries(CALLING_CODES).find(([, c]) => c === country.toUpperCase())?.[0];
    if (code === '1' && digits.length === 11 && digits.startsWith('1')) e164 = `+${digits}`;
    else if (code) e164 = `+${code}${digits.replace(/^0/, '')}`;
  }
  return e164 && e164.length <= 16 ? e164 : null;
}

/** The country of an E.164 number by its calling code (`US` or `CA` within +1), or null when unknown. */
export function countryOfNumber(e164: string): string | null {
  const digits = e164.slice(1);
  if (digits.startsWith('1')) return CANADIAN_AREA_CODES.has(digits.slice(1, 4)) ? 'CA' : 'US';
  for (const length of [3, 2, 1]) {
    const country = CALLING_CODES[digits.slice(0, length)];
    if (country) return country;
  }
  return null;
}

/** A valid IANA zone name, or null. */
function knownZone(zone: unknown): string | null {
  if (typeof zone !== 'string' || !zone) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return null;
  }
}

/** The zones whose clock decides when the recipient may be reached, most specific source first. */
export function recipientZones(input: {
  leadTimeZone?: unknown;
  numberCountry: string | null;
  leadCountry: string | null;
  fallback: string;
}): readonly string[] {
  const own = knownZone(input.leadTimeZone);
  if (own) return [own];
  const byNumber = input.numberCountry ? ZONES[input.numberCountry] : undefined;
  if (byNumber) return byNumber;
  const byLead = input.leadCountry ? ZONES[input.leadCountry.toUpperCase()] : undefined;
  return byLead ?? [input.fallback];
}

const open = (at: number, zones: readonly string[]) =>
  zones.every((zone) => {
    const hour = partsIn(at, zone).hh;
    return hour >= OPENS_HOUR && hour < CLOSES_HOUR;
  });

/**
 * `now` when the window is open in every zone, else the first quarter hour at which it is (every
 * zone's offset is a multiple of 15 minutes, so 8:00 local falls on one). Zones that never share a
 * window fall back to the first.
 */
export function nextSendingWindow(now: number, zones: readonly string[]): number {
  if (open(now, zones)) return now;
  const first = Math.ceil(now / QUARTER_HOUR) * QUARTER_HOUR;
  for (let at = first; at < now + 2 * 86_400_000; at += QUARTER_HOUR) if (open(at, zones)) return at;
  const main = zones.slice(0, 1);
  if (open(now, main)) return now;
  for (let at = first; at < now + 2 * 86_400_000; at += QUARTER_HOUR) if (open(at, main)) return at;
  return now;
}
