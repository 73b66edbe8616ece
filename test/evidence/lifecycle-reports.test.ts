/**
 * The lifecycle in the evidence: the configuration report shows the release with its ledger entry,
 * the engine version, the VAL validation window and, prominently, an emergencyHotfix override; the
 * ECR shows the override of an environment whose candidate runs that release. The fleet is a copy
 * of the example with its own ledger (test/lifecycle/operations-support.ts); the ECR compares the
 * committed baseline with a copy whose PROD app template runs the new release (no synthesis).
 */
import * as fs from 'fs';
import * as path from 'path';
import { cleanTemps, cli, ROOT, tempDir } from './support';
import { TEST_LEDGER, prodOnNewRelease, testFleet } from '../lifecycle/operations-support';

afterAll(cleanTemps);

const AT = '2026-12-01T09:00:00Z';
const HOTFIX = { reason: 'Dosing calculation defect in 2025.4.0 fixed in 2026.1.0; patient safety.', reference: 'ECR-2026-041' };

/** PROD on 2026.1.0-b2410 before its validation is recorded, under an emergency override. */
function hotfixFleet(): string {
  const dir = testFleet({
    northwind: (doc) => {
      prodOnNewRelease(doc);
      doc.setIn(['environments', 'prod', 'emergencyHotfix'], HOTFIX);
    },
  });
  fs.writeFileSync(
    path.join(dir, 'releases.yaml'),
    TEST_LEDGER.split('\n')
      .filter((l) => !l.includes('VSR-TEST-2026.1.0'))
      .join('\n'),
  );
  return dir;
}

describe('config-report: lifecycle', () => {
  test('PROD under an emergency hotfix: the override at the top and as a setting, the ledger entry, the engine', async () => {
    const fleet = hotfixFleet();
    const out = tempDir('cfg-lifecycle');
    const r = await cli([
      'config-report',
      '--customer',
      'northwind',
      '--environment',
      'prod',
      '--config',
      fleet,
      '--out',
      out,
      '--generated-at',
      AT,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const md = fs.readFileSync(path.join(out, 'config-report.md'), 'utf8');
    const top = md.slice(0, md.indexOf('## Identity'));
    expect(top).toContain(
      'Release 2026.1.0-b2410 (release ledger: 2026-11-20, notes RN-TEST-2026.1.0); Aurora MySQL engine 8.0.mysql\\_aurora.3.12.0.',
    );
    expect(top).toContain(
      `EMERGENCY HOTFIX OVERRIDE: this environment runs 2026.1.0-b2410 before a VAL of ` +
        `the customer recorded its validation, under ${HOTFIX.reference}: ` +
        `${HOTFIX.reason}`,
    );
    expect(md).toContain(
      `| EMERGENCY HOTFIX OVERRIDE | ${HOTFIX.reference}: ${HOTFIX.reason} | override: ` +
        `customers/northwind.yaml environments.prod.emergencyHotfix |`,
    );
    expect(md).toContain('| ledger entry | 2026-11-20, notes RN-TEST-2026.1.0 | ledger: releases.yaml |');
    expect(md).toContain('| VAL validation record | none | ledger: releases.yaml |');
    expect(md).toContain('| Aurora MySQL version | 3.12.0 (8.0.mysql_aurora.3.12.0) | catalog: lib/catalog.ts (PROD) |');
    expect(md).toContain('| pre-upgrade snapshot | yes | catalog: lib/catalog.ts (PROD) |');
    const json = JSON.parse(fs.readFileSync(path.join(out, 'config-report.json'), 'utf8'));
    expect(json.record.lifecycle.emergencyHotfix).toEqual(HOTFIX);
  });

  test('VAL: the validation window; PROD without an override says none', async () => {
    const fleet = testFleet();
    const out = tempDir('cfg-lifecycle');
    expect(
      (
        await cli([
          'config-report',
          '--customer',
          'northwind',
          '--environment',
          'val',
          '--config',
          fleet,
          '--out',
          out,
          '--generated-at',
          AT,
        ])
      ).code,
    ).toBe(0);
    const md = fs.readFileSync(path.join(out, 'config-report.md'), 'utf8');
    expect(md).toContain('VAL validation window 2026-11-23 to 2027-01-29.');
    expect(md).toContain(
      '| VAL validation window | 2026-11-23 to 2027-01-29 | override: customers/northwind.yaml environments.val.validation |',
    );
    const prod = tempDir('cfg-lifecycle');
    expect(
      (
        await cli([
          'config-report',
          '--customer',
          'northwind',
          '--environment',
          'prod',
          '--config',
          fleet,
          '--out',
          prod,
          '--generated-at',
          AT,
        ])
      ).code,
    ).toBe(0);
    const pmd = fs.readFileSync(path.join(prod, 'config-report.md'), 'utf8');
    expect(pmd).toContain('| EMERGENCY HOTFIX OVERRIDE | none | default: none |');
    expect(pmd).toContain(
      '| VAL validation record | VSR-TEST-2025.4.0 (2025-10-13 to 2025-10-31) | ledger: releases.yaml customers.northwind.validated |',
    );
    expect(pmd.slice(0, pmd.indexOf('## Identity'))).not.toContain('EMERGENCY');
  });
});

describe('ECR: emergency hotfix', () => {
  test('the override is in the record and at the top of the document when the candidate runs the release; not otherwise', async () => {
    const fleet = hotfixFleet();
    const candidate = tempDir('ecr-candidate');
    fs.cpSync(path.join(ROOT, 'baseline', 'config'), candidate, { recursive: true });
    const app = path.join(candidate, 'clinspark-northwind-prod-app.template.json');
    fs.writeFileSync(app, fs.readFileSync(app, 'utf8').replace(/2025\.4\.0-b2231/g, '2026.1.0-b2410'));
    const out = tempDir('ecr-out');
    const args = [
      'ecr',
      '--baseline',
      path.join(ROOT, 'baseline', 'config'),
      '--assembly',
      candidate,
      '--customer',
      'northwind',
      '--out',
      out,
    ];
    const r = await cli([...args, '--config', fleet]);
    expect(r.code).toBe(0);
    const md = fs.readFileSync(path.join(out, 'northwind', 'prod', 'ecr.md'), 'utf8');
    expect(md.slice(0, md.indexOf('## 2. Blocking findings'))).toContain(
      `EMERGENCY HOTFIX OVERRIDE: 2026.1.0-b2410 runs in this environment before a VAL ` +
        `of the customer recorded its validation, under ${HOTFIX.reference}: ` +
        `${HOTFIX.reason}`,
    );
    const json = JSON.parse(fs.readFileSync(path.join(out, 'northwind', 'prod', 'ecr.json'), 'utf8'));
    expect(json.record.emergencyHotfix).toEqual({ release: '2026.1.0-b2410', ...HOTFIX });
    // The example fleet declares no override: none in the record.
    const plain = tempDir('ecr-out');
    expect((await cli([...args.slice(0, -1), plain, '--config', path.join(ROOT, 'config')])).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(plain, 'northwind', 'prod', 'ecr.json'), 'utf8')).record.emergencyHotfix).toBeUndefined();
    // An explicit fleet that cannot be read is an error naming it.
    const bad = await cli([...args.slice(0, -1), tempDir('ecr-out'), '--config', '/no/such/fleet']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--config \/no\/such\/fleet: /);
  });
});
