/**
 * The synthetic volunteers of the seed job: a pure function from (seed, count) to rows. No clock,
 * no Math.random: every value comes from a SHA-256 counter stream of the seed, so the same seed and
 * count give the same rows on every machine, and volunteer `i` depends only on the seed and `i`
 * (raising the count adds volunteers and keeps the first ones).
 *
 * Every personal value has the shape the PII scrub engine gives a masked value, from its own
 * dictionaries and formats (constructs/pii-scrub/engine), so the data is plausible and never real:
 * names, streets and towns from dictionaries.ts; e-mail addresses `u<16 hex>@example.invalid`
 * (the `email` strategy, RFC 2606 reserved domain); phone numbers `+1 ### 555 01##` (the `phone`
 * strategy: NANP 555-0100..0199, reserved for fiction); national identifiers 32 hex characters
 * (the `hash` strategy); postal codes as the `partial` strategy leaves them (`12***`).
 */
import { createHash } from 'crypto';
import { CITIES, FIRST_NAMES, LAST_NAMES, STREETS } from '../../pii-scrub/engine/dictionaries';
import { DEFAULT_EMAIL_DOMAIN, DEFAULT_PHONE_FORMAT } from '../../pii-scrub/engine/rules';

/** Version of the generator: recorded in the seed marker; bump it when the rows for a seed change. */
export const GENERATOR_VERSION = '1';

/** The most volunteers one seed job writes (the catalog default is 200). */
export const MAX_VOLUNTEERS = 20_000;

/** Values of one row, by column name; `null` is SQL NULL. */
export type SeedValue = string | number | null;
export type SeedRow = Readonly<Record<string, SeedValue>>;

/** The tables of the seed model, parents first (the order of inserts; deletes go the other way). */
export const SEED_TABLES = ['studies', 'volunteers', 'contacts', 'visits', 'lab_results'] as const;
export type SeedTable = (typeof SEED_TABLES)[number];

/**
 * Rows of the seed model. Keys that reference another seeded row are 1-based ordinals within
 * the seeded rows of that table (`volunteer_id: 3` is the third seeded volunteer); the SQL module
 * turns them into the ids it assigns (seed/sql.ts). `studies` are keyed by their `code`.
 */
export interface SeedData {
  readonly studies: readonly SeedRow[];
  readonly volunteers: readonly SeedRow[];
  readonly contacts: readonly SeedRow[];
  readonly visits: readonly SeedRow[];
  readonly lab_results: readonly SeedRow[];
}

/** Reference columns: which seeded table an ordinal points into. */
export const SEED_REFERENCES: Readonly<Record<SeedTable, Readonly<Record<string, SeedTable>>>> = {
  studies: {},
  volunteers: {},
  contacts: { volunteer_id: 'volunteers' },
  visits: { volunteer_id: 'volunteers' },
  lab_results: { visit_id: 'visits', volunteer_id: 'volunteers' },
};

/** A deterministic byte stream: SHA-256 of `clinspark-seed/<version>/<seed>/<label>/<counter>`. */
export class SeedStream {
  private buffer = Buffer.alloc(0);
  private counter = 0;

  constructor(
    private readonly seed: string,
    private readonly label: string,
  ) {}

  bytes(n: number): Buffer {
    while (this.buffer.length < n) {
      const block = createHash('sha256')
        .update(`clinspark-seed/${GENERATOR_VERSION}/${this.seed}/${this.label}/${this.counter++}`)
        .digest();
      this.buffer = Buffer.concat([this.buffer, block]);
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** An integer in [0, n), n <= 2^32 (modulo bias of at most n / 2^32: irrelevant for synthetic data). */
  below(n: number): number {
    return this.bytes(4).readUInt32BE(0) % n;
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)];
  }

  /** True with probability `percent` / 100. */
  chance(percent: number): boolean {
    return this.below(100) < percent;
  }

  hex(length: number): string {
    return this.bytes(Math.ceil(length / 2))
      .toString('hex')
      .slice(0, length);
  }
}

/** Non-personal study catalogue of the seed (codes are the same for every seed). */
const STUDY_TITLES: readonly string[] = [
  'Single ascending dose, healthy volunteers',
  'Multiple ascending dose, healthy volunteers',
  'Food effect, crossover',
  'Drug-drug interaction, open label',
  'Bioequivalence, two-period crossover',
];

export const RELATIONSHIPS: readonly string[] = ['spouse', 'partner', 'parent', 'sibling', 'child', 'friend'];

/** Lab analytes: name, unit, plausible range (times 10 for one decimal). */
export const ANALYTES: readonly { readonly analyte: string; readonly unit: string; readonly min: number; readonly max: number }[] = [
  { analyte: 'ALT', unit: 'U/L', min: 70, max: 560 },
  { analyte: 'AST', unit: 'U/L', min: 80, max: 480 },
  { analyte: 'CREAT', unit: 'umol/L', min: 450, max: 1200 },
  { analyte: 'GLUCOSE', unit: 'mmol/L', min: 39, max: 78 },
  { analyte: 'HGB', unit: 'g/dL', min: 115, max: 175 },
];

/** Dates of the seed: births 1950-2005, registrations 2020-2025, visits after registration. */
const BIRTH_START = Date.UTC(1950, 0, 1);
const BIRTH_DAYS = 20_454; // 1950-01-01 .. 2005-12-31
const REGISTERED_START = Date.UTC(2020, 0, 1);
const REGISTERED_DAYS = 2_191; // 2020-01-01 .. 2025-12-31
const DAY_MS = 86_400_000;

const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const isoDateTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** A phone number of the scrub's default format: each `#` a digit. */
export function phoneOf(stream: SeedStream, format: string = DEFAULT_PHONE_FORMAT): string {
  return format.replace(/#/g, () => String(stream.below(10)));
}

/** An e-mail address of the scrub's `email` strategy: `u<16 hex>@example.invalid`. */
export function emailOf(stream: SeedStream, domain: string = DEFAULT_EMAIL_DOMAIN): string {
  return `u${stream.hex(16)}@${domain}`;
}

/** A street of the scrub's `street` pseudonym: `<1-999> <street>`. */
export function streetOf(stream: SeedStream): string {
  return `${stream.between(1, 999)} ${stream.pick(STREETS)}`;
}

/** `SEED-000001`: the volunteer number of seeded volunteer `ordinal` (unique, recognisably synthetic). */
export function volunteerNumber(ordinal: number): string {
  return `SEED-${String(ordinal).padStart(6, '0')}`;
}

export interface GenerateOptions {
  /** Generator seed: the same seed gives the same rows. */
  readonly seed: string;
  /** Number of volunteers, 0..MAX_VOLUNTEERS. */
  readonly volunteers: number;
}

/** The rows of a seed. Pure and deterministic. */
export function generateSeed(options: GenerateOptions): SeedData {
  const { seed, volunteers: count } = options;
  if (!Number.isInteger(count) || count < 0 || count > MAX_VOLUNTEERS)
    throw new Error(`volunteers must be an integer between 0 and ${MAX_VOLUNTEERS} (got ${count})`);
  if (seed.length === 0) throw new Error('seed must not be empty');

  const studies: SeedRow[] = STUDY_TITLES.map((title, i) => ({ code: `SEED-S${String(i + 1).padStart(2, '0')}`, title }));
  const volunteers: SeedRow[] = [];
  const contacts: SeedRow[] = [];
  const visits: SeedRow[] = [];
  const labResults: SeedRow[] = [];

  for (let ordinal = 1; ordinal <= count; ordinal++) {
    // One stream per volunteer: its rows do not depend on the count or on the other volunteers.
    const s = new SeedStream(seed, `volunteer/${ordinal}`);
    const registered = REGISTERED_START + s.below(REGISTERED_DAYS) * DAY_MS + s.below(36_000) * 1000 + 25_200_000;
    volunteers.push({
      volunteer_number: volunteerNumber(ordinal),
      first_name: s.pick(FIRST_NAMES),
      middle_name: s.chance(30) ? s.pick(FIRST_NAMES) : null,
      last_name: s.pick(LAST_NAMES),
      date_of_birth: isoDate(BIRTH_START + s.below(BIRTH_DAYS) * DAY_MS),
      sex: s.chance(50) ? 'F' : 'M',
      email: emailOf(s),
      phone: phoneOf(s),
      address_line: streetOf(s),
      city: s.pick(CITIES),
      postal_code: `${String(s.below(100)).padStart(2, '0')}***`,
      country: 'US',
      national_id: s.hex(32),
      notes: 'Synthetic volunteer (ClinSpark seed job); not a real person.',
      registered_at: isoDateTime(registered),
      updated_at: isoDateTime(registered),
      status: s.chance(90) ? 'active' : 'inactive',
    });

    const contactCount = s.below(3);
    for (let c = 0; c < contactCount; c++) {
      contacts.push({
        volunteer_id: ordinal,
        full_name: `${s.pick(FIRST_NAMES)} ${s.pick(LAST_NAMES)}`,
        relationship: s.pick(RELATIONSHIPS),
        email: s.chance(70) ? emailOf(s) : null,
        phone: phoneOf(s),
      });
    }

    const visitCount = s.between(1, 3);
    let day = registered + s.between(7, 60) * DAY_MS;
    for (let v = 0; v < visitCount; v++) {
      const visitOrdinal = visits.length + 1;
      const checkedIn = day - (day % DAY_MS) + s.between(7 * 60, 17 * 60) * 60_000;
      visits.push({
        volunteer_id: ordinal,
        study_code: s.pick(studies).code,
        visit_date: isoDate(day),
        checked_in_at: isoDateTime(checkedIn),
        weight_kg: (s.between(480, 1150) / 10).toFixed(1),
        comments: null,
      });
      const labCount = s.between(1, 3);
      for (let l = 0; l < labCount; l++) {
        const a = s.pick(ANALYTES);
        labResults.push({
          visit_id: visitOrdinal,
          volunteer_id: ordinal,
          analyte: a.analyte,
          value_num: (s.between(a.min, a.max) / 10).toFixed(3),
          unit: a.unit,
          collected_at: isoDateTime(checkedIn + s.between(10, 120) * 60_000),
        });
      }
      day += s.between(14, 90) * DAY_MS;
    }
  }
  return { studies, volunteers, contacts, visits, lab_results: labResults };
}

/** SHA-256 of the generated rows (the marker's fingerprint, with the schema's hash). */
export function seedFingerprint(data: SeedData, schemaSha256: string): string {
  const hash = createHash('sha256').update(`generator ${GENERATOR_VERSION}\nschema ${schemaSha256}\n`);
  for (const table of SEED_TABLES) hash.update(`${table}\n${JSON.stringify(data[table])}\n`);
  return hash.digest('hex');
}
