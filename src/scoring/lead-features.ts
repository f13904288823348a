import { type ScoringLeadFields, seniorityOf } from '../leads/index.ts';
import type {
  ColumnReader,
  FeatureDeclaration,
  FeatureSpec,
  LeadRecord,
  RawValue,
  RowSource,
} from './ml/index.ts';
import { inferFeatureSpec } from './ml/index.ts';

/** Attribute keys read as company size, first present wins (lead API, CSV import, chat slots). */
const COMPANY_SIZE_KEYS = ['employees', 'company_size', 'companySize', 'chat_company_size'] as const;
/** Attributes that identify rather than describe (a chat session id says nothing about conversion). */
const IGNORED_ATTRIBUTES = new Set<string>([...COMPANY_SIZE_KEYS, 'chat_session', 'chat_playbook']);
const ATTRIBUTE_PREFIX = 'attr.';
/** At most this many attributes become features (the most often present first). */
const MAX_ATTRIBUTE_FEATURES = 40;

function companySize(attributes: ScoringLeadFields['attributes']): number | undefined {
  for (const key of COMPANY_SIZE_KEYS) {
    const raw = attributes[key];
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
    if (Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

/**
 * One lead as the feature pipeline reads it. Training and scoring both build records with this
 * function, so derived values (seniority, company size, touches) cannot differ between them.
 */
export function leadRecord(lead: ScoringLeadFields, touches: number): LeadRecord {
  const record: Record<string, RawValue> = {
    email: lead.email,
    seniority: seniorityOf(lead.title),
    country: lead.country,
    source: lead.source,
    utm_source: lead.utm.source ?? null,
    utm_medium: lead.utm.medium ?? null,
    utm_campaign: lead.utm.campaign ?? null,
    company_size: companySize(lead.attributes),
    has_phone: lead.phone !== null && lead.phone !== '',
    has_company: lead.company !== null && lead.company !== '',
    touches,
    created_at: lead.createdAt,
    updated_at: lead.updatedAt,
  };
  for (const [key, value] of Object.entries(lead.attributes)) {
    if (!IGNORED_ATTRIBUTES.has(key)) record[`${ATTRIBUTE_PREFIX}${key}`] = value;
  }
  return record;
}

/** A feature read as it stands from the record's column of the same name (see `leadRecord`). */
function columnFeature(
  name: string,
  kind: FeatureDeclaration['kind'],
  label: string,
  more: Pick<FeatureDeclaration, 'levelLabels' | 'minCount'> = {},
): FeatureDeclaration {
  return { name, kind, source: { op: 'column', column: name }, label, ...more };
}

/** The features every workspace model starts from: lead fields, source/UTM, behaviour, recency. */
const BASE_FEATURES: readonly FeatureDeclaration[] = [
  columnFeature('seniority', 'categorical', 'seniority', {
    levelLabels: {
      executive: 'executive or founder',
      director: 'director',
      manager: 'manager',
      individual: 'individual contributor',
      'not-a-buyer': 'student, intern or job seeker',
    },
    minCount: 5,
  }),
  {
    name: 'email_kind',
    kind: 'categorical',
    source: { op: 'emailDomainKind', column: 'email' },
    label: 'email',
    levelLabels: { business: 'business email address', free: 'free email address' },
    minCount: 5,
  },
  columnFeature('company_size', 'numeric', 'company size'),
  columnFeature('country', 'categorical', 'country'),
  columnFeature('source', 'categorical', 'source'),
  columnFeature('utm_source', 'categorical', 'campaign source'),
  columnFeature('utm_medium', 'categorical', 'campaign medium'),
  columnFeature('utm_campaign', 'categorical', 'campaign'),
  columnFeature('has_phone', 'boolean', 'phone', {
    levelLabels: { true: 'gave a phone number', false: 'no phone number' },
  }),
  columnFeature('has_company', 'boolean', 'company', {
    levelLabels: { true: 'named a company', false: 'no company named' },
  }),
  columnFeature('touches', 'numeric', 'submissions'),
  {
    name: 'engagement_days',
    kind: 'numeric',
    source: { op: 'daysBetween', from: 'created_at', to: 'updated_at' },
    label: 'days between first and latest contact',
  },
];

/** Records as a row source whose columns are every key seen in any record. */
export function leadRecordSource(records: readonly LeadRecord[]): RowSource {
  const columns = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) columns.add(key);
  return {
    length: records.length,
    columns: [...columns],
    reader(row): ColumnReader {
      const record = records[row];
      return (column) => record?.[column];
    },
  };
}

function attributeLabel(key: string): string {
  return key.replace(/^chat_/, 'chat answer: ').replace(/[_.-]+/g, ' ');
}

/**
 * The workspace's declared feature spec: the base features plus the free attributes (including
 * chat slots, `attributes.chat_*`) that the training rows can support. Attributes are typed by
 * inference; constant, empty and identifier-like ones are left out, as are the rarest beyond
 * `MAX_ATTRIBUTE_FEATURES`.
 */
export function workspaceFeatureSpec(source: RowSource): FeatureSpec {
  const attributeColumns = source.columns.filter((c) => c.startsWith(ATTRIBUTE_PREFIX));
  const present = new Map<string, number>();
  for (let row = 0; row < source.length; row++) {
    const read = source.reader(row);
    for (const column of attributeColumns) {
      const value = read(column);
      if (value !== null && value !== undefined && value !== '')
        present.set(column, (present.get(column) ?? 0) + 1);
    }
  }
  const kept = new Set(
    [...present.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_ATTRIBUTE_FEATURES)
      .map(([column]) => column),
  );
  const { spec } = inferFeatureSpec(source, { exclude: source.columns.filter((c) => !kept.has(c)) });
  const attributes = spec.features.map((feature) => {
    const key = feature.name.slice(ATTRIBUTE_PREFIX.length);
    return { ...feature, label: attributeLabel(key), minCount: 5 };
  });
  return { features: [...BASE_FEATURES, ...attributes], minCategoryCount: 5 };
}

/** The segment a lead belongs to under `segmentBy` (a lead field, `seniority`, `utm.<key>` or `attributes.<key>`). */
export function segmentOf(lead: ScoringLeadFields, segmentBy: string): string {
  let value: unknown;
  if (segmentBy.startsWith('attributes.')) value = lead.attributes[segmentBy.slice(11)];
  else if (segmentBy.startsWith('utm.')) value = lead.utm[segmentBy.slice(4)];
  else if (segmentBy === 'seniority') value = seniorityOf(lead.title);
  else if (segmentBy === 'country') value = lead.country;
  else if (segmentBy === 'source') value = lead.source;
  return value === null || value === undefined || value === '' ? '(none)' : String(value);
}
