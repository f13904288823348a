import { assertNever } from '../../core/index.ts';

/**
 * The derived `lead.region` field: one fixed mapping from ISO 3166-1 alpha-2 country codes to
 * regions, shared by the engine (which evaluates `lead.region`) and the verifier (which decides
 * whether a condition on country or region keeps a path outside a law's territory).
 */

/** The 27 member states of the European Union. */
export const EU_COUNTRIES: readonly string[] = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
];
/** EEA members outside the EU (GDPR applies through the EEA agreement). */
export const EEA_EXTRA_COUNTRIES: readonly string[] = ['IS', 'LI', 'NO'];
export const UK_COUNTRIES: readonly string[] = ['GB'];

const LATAM = [
  'AR',
  'BO',
  'BR',
  'CL',
  'CO',
  'CR',
  'CU',
  'DO',
  'EC',
  'GT',
  'HN',
  'NI',
  'PA',
  'PE',
  'PY',
  'SV',
  'UY',
  'VE',
];
const APAC = [
  'AU',
  'BD',
  'CN',
  'HK',
  'ID',
  'IN',
  'JP',
  'KR',
  'LK',
  'MY',
  'NZ',
  'PH',
  'PK',
  'SG',
  'TH',
  'TW',
  'VN',
];
const MEA = ['AE', 'EG', 'IL', 'JO', 'KE', 'MA', 'NG', 'QA', 'SA', 'TR', 'ZA'];
const EUROPE_OTHER = ['CH', 'RS', 'UA', 'BA', 'AL', 'MK', 'ME', 'MD', 'GE', 'AM'];

/**
 * Regions `lead.region` takes. `EU` for EU members, `EEA` only for Iceland, Liechtenstein and
 * Norway, `UK`, `US`, `CA` (Canada), then broad regions; `OTHER` for anything else, `null` when
 * the country is unknown.
 */
export const REGIONS = [
  'EU',
  'EEA',
  'UK',
  'US',
  'CA',
  'NA',
  'LATAM',
  'APAC',
  'MEA',
  'EUROPE',
  'OTHER',
] as const;
export type Region = (typeof REGIONS)[number];

const REGION_OF = new Map<string, Region>();
for (const c of EU_COUNTRIES) REGION_OF.set(c, 'EU');
for (const c of EEA_EXTRA_COUNTRIES) REGION_OF.set(c, 'EEA');
REGION_OF.set('GB', 'UK');
REGION_OF.set('US', 'US');
REGION_OF.set('CA', 'CA');
REGION_OF.set('MX', 'NA');
for (const c of LATAM) REGION_OF.set(c, 'LATAM');
for (const c of APAC) REGION_OF.set(c, 'APAC');
for (const c of MEA) REGION_OF.set(c, 'MEA');
for (const c of EUROPE_OTHER) REGION_OF.set(c, 'EUROPE');

/** `lead.region` for a country code (case-insensitive; `UK` is accepted for `GB`). */
export function regionOf(country: string | null | undefined): Region | null {
  if (!country) return null;
  const code = country.trim().toUpperCase();
  if (code === 'UK') return 'UK';
  return REGION_OF.get(code) ?? 'OTHER';
}

/**
 * The countries of a region, or `null` for `OTHER` (an open set). `NA` is North America as a
 * whole; `lead.region` itself never says `NA` for the US or Canada, so the verifier treats a
 * condition `region eq NA` as Mexico only.
 */
export function countriesOfRegion(region: Region): readonly string[] | null {
  switch (region) {
    case 'EU':
      return EU_COUNTRIES;
    case 'EEA':
      return EEA_EXTRA_COUNTRIES;
    case 'UK':
      return UK_COUNTRIES;
    case 'US':
      return ['US'];
    case 'CA':
      return ['CA'];
    case 'NA':
      return ['MX'];
    case 'LATAM':
      return LATAM;
    case 'APAC':
      return APAC;
    case 'MEA':
      return MEA;
    case 'EUROPE':
      return EUROPE_OTHER;
    case 'OTHER':
      return null;
  }
  return assertNever(region, 'region');
}
