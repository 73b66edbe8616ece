/**
 * Fleets and baselines of the lifecycle command tests, built in temporary directories: a copy of
 * the example fleet with this file's own release ledger (never the example's releases.yaml) and
 * YAML edits, and a copy of the committed approved baseline (baseline/config) with template edits.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { EXAMPLE_CONFIG } from '../support/fleet';
import { ROOT, tempDir } from '../evidence/support';

/** The ledger of these tests: 2026.1.0-b2410 released 2026-11-20, validated by Northwind's VAL 2026-11-21 to 2026-11-27. */
export const TEST_LEDGER = `releases:
  - { version: "2025.4.0", build: 2231, date: "2025-10-06", notes: RN-TEST-2025.4.0 }
  - { version: "2026.1.0", build: 2410, date: "2026-11-20", notes: RN-TEST-2026.1.0 }
customers:
  northwind:
    validated:
      - { release: "2025.4.0-b2231", val: { start: "2025-10-13", end: "2025-10-31" }, reference: VSR-TEST-2025.4.0 }
      - { release: "2026.1.0-b2410", val: { start: "2026-11-21", end: "2026-11-27" }, reference: VSR-TEST-2026.1.0 }
`;

export type YamlDoc = ReturnType<typeof parseDocument>;

/** A copy of the example fleet with TEST_LEDGER and customers/<slug>.yaml edited (YAML document API). */
export function testFleet(edits: Record<string, (doc: YamlDoc) => void> = {}): string {
  const dir = tempDir('lifecycle-fleet');
  fs.cpSync(EXAMPLE_CONFIG, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'releases.yaml'), TEST_LEDGER);
  for (const [slug, edit] of Object.entries(edits)) {
    const file = path.join(dir, 'customers', `${slug}.yaml`);
    const doc = parseDocument(fs.readFileSync(file, 'utf8'));
    edit(doc);
    fs.writeFileSync(file, doc.toString());
  }
  return dir;
}

/** Northwind PROD on 2026.1.0-b2410 (the digest VAL runs). */
export function prodOnNewRelease(doc: YamlDoc): void {
  doc.setIn(['environments', 'prod', 'release'], {
    version: '2026.1.0',
    build: 2410,
    digest: 'sha256:9b3eb82db3cffb9515dc0ae69a4e3b142b6d1cca776d98ff6a0073bb4e886df2',
  });
}

/** A copy of the committed baseline with `edit` applied to the templates (by stack name); returns its directory. */
export function testBaseline(
  edit?: (stack: string, template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }) => void,
): string {
  const dir = tempDir('lifecycle-baseline');
  fs.cpSync(path.join(ROOT, 'baseline', 'config'), dir, { recursive: true });
  if (edit)
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.template.json'))) {
      const file = path.join(dir, f);
      const t = JSON.parse(fs.readFileSync(file, 'utf8'));
      edit(f.replace('.template.json', ''), t);
      fs.writeFileSync(file, JSON.stringify(t));
    }
  return dir;
}

/** No JavaScript stack trace in CLI output. */
export const STACK_TRACE = /\n\s+at .+[(:]\d+:\d+\)?/;
