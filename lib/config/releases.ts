/**
 * The release ledger (`releases.yaml` in the fleet directory): every release and hotfix the
 * vendor has shipped, and per customer the validations that a VAL of that customer recorded.
 *
 *   releases:
 *     - { version: "2025.4.0", build: 2231, date: "2025-10-06", notes: RN-2025.4.0 }
 *     - { version: "2025.4.0", build: 2240, date: "2025-11-02", notes: RN-2025.4.0-HF1 }   # hotfix: same version, higher build
 *   customers:
 *     northwind:
 *       validated:
 *         - { release: "2025.4.0-b2231", val: { start: "2025-10-13", end: "2025-10-31" }, reference: VAL-NW-2025.4 }
 *
 * Validation refuses an environment on a release that is not in the ledger, and a PROD (the kinds
 * whose catalog row has `requiresValidatedRelease`) on a release without a validation record of
 * its customer, unless the environment declares `emergencyHotfix` (shown in every report).
 */
import { z } from 'zod';
import { imageTag } from '../naming';
import { BUILD_RE, IMAGE_DIGEST_RE, VERSION_RE, dateRangeSchema, isoDate, slugSchema } from './model';

const reference = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/:-]{1,99}$/, {
  error: 'must be a document reference such as "RN-2025.4.0" or "VAL-ACME-2026-01" (letters, digits, . _ / : -)',
});

export const RELEASE_TAG_RE = /^((0|[1-9]\d{0,3})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2}))-b([1-9]\d{0,7})$/;

export const ledgerReleaseSchema = z
  .strictObject({
    version: z
      .string({ error: 'must be a quoted version string "MAJOR.MINOR.PATCH", e.g. version: "2025.4.0"' })
      .regex(VERSION_RE, { error: 'must be "MAJOR.MINOR.PATCH" with numbers only, e.g. "2025.4.0"' }),
    build: z
      .union([z.string(), z.number()], { error: 'must be a build number such as 1234' })
      .transform((v) => String(v))
      .pipe(z.string().regex(BUILD_RE, { error: 'must be a positive whole build number without leading zeros, e.g. 1234' })),
    date: isoDate.describe('Release date (UTC).'),
    notes: reference.describe('Reference of the release notes (document id or URL path).'),
    digest: z
      .string()
      .regex(IMAGE_DIGEST_RE, { error: 'must be an image digest "sha256:" followed by 64 lowercase hex digits' })
      .optional()
      .describe('Digest of the released image; an environment on this release must then run this digest.'),
  })
  .describe('One release or hotfix build (a hotfix is the same version with a higher build).');

export const validationRecordSchema = z
  .strictObject({
    release: z
      .string({ error: 'must be a release tag "<version>-b<build>", e.g. "2025.4.0-b2231"' })
      .regex(RELEASE_TAG_RE, { error: 'must be a release tag "<version>-b<build>", e.g. "2025.4.0-b2231"' })
      .describe('The release validated, as its image tag "<version>-b<build>".'),
    val: dateRangeSchema.describe('The VAL validation window in which the release was validated.'),
    reference: reference.describe('Reference of the validation summary report that accepts the release.'),
  })
  .describe(
    "One validation of a release in a VAL of this customer (the vendor's process: PROD accepts a release after validation in VAL).",
  );

export const releaseLedgerSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of this JSON Schema, for editors.'),
    releases: z
      .array(ledgerReleaseSchema)
      .min(1, { error: 'list at least one release' })
      .describe('Every release and hotfix build, oldest first.'),
    customers: z
      .record(slugSchema, z.strictObject({ validated: z.array(validationRecordSchema).describe('Validations recorded in VAL.') }))
      .optional()
      .describe('Per customer slug: the validations of releases its VAL recorded.'),
  })
  .meta({ title: 'ClinSpark release ledger', description: 'Releases, hotfixes and per-customer validations: <config>/releases.yaml' });

export type ReleaseLedger = z.output<typeof releaseLedgerSchema>;
export type LedgerRelease = z.output<typeof ledgerReleaseSchema>;
export type ValidationRecord = z.output<typeof validationRecordSchema>;

export const LEDGER_FILE = 'releases.yaml';

/** The ledger entry of a release (version and build), if the ledger has one. */
export function ledgerEntryOf(
  ledger: ReleaseLedger,
  release: { readonly version: string; readonly build: string },
): LedgerRelease | undefined {
  return ledger.releases.find((r) => r.version === release.version && r.build === release.build);
}

/** The latest validation record of a release for a customer, if any. */
export function validationRecordOf(
  ledger: ReleaseLedger,
  customer: string,
  release: { readonly version: string; readonly build: string },
): ValidationRecord | undefined {
  const tag = imageTag(release);
  const records = (ledger.customers?.[customer]?.validated ?? []).filter((r) => r.release === tag);
  return records.sort((a, b) => (a.val.end < b.val.end ? 1 : -1))[0];
}
