/**
 * The JSON Schemas that editors use (schema/*.json, generated from the zod model) are proven
 * against an independent JSON Schema validator (ajv, draft 2020-12): they accept every file of the
 * example fleet and every fixture file the validator accepts, and they reject every fixture file
 * with an unknown key, a missing required key or a wrong type, as the validator does.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv2020 from 'ajv/dist/2020';
import { z } from 'zod';
import { customerSchema, platformSchema } from '../../lib/config/model';
import { parseSource } from '../../lib/config/load';

const root = path.join(__dirname, '..', '..');
const ajv = new Ajv2020({ allErrors: true, strict: false });
// The schemas' one `format` (vendor on-call e-mail addresses), checked as the validator checks it
// (zod's email); ajv only warns about, and ignores, a format it has not been given.
ajv.addFormat('email', (value: string) => z.email().safeParse(value).success);
const validators = {
  customer: ajv.compile(JSON.parse(fs.readFileSync(path.join(root, 'schema', 'customer.schema.json'), 'utf8'))),
  platform: ajv.compile(JSON.parse(fs.readFileSync(path.join(root, 'schema', 'platform.schema.json'), 'utf8'))),
};

/** Every customer and platform YAML file of a fleet directory. */
function fleetFiles(dir: string): Array<{ file: string; kind: 'customer' | 'platform' }> {
  const out: Array<{ file: string; kind: 'customer' | 'platform' }> = [];
  const customers = path.join(dir, 'customers');
  if (fs.existsSync(customers) && fs.statSync(customers).isDirectory()) {
    for (const f of fs.readdirSync(customers)) {
      const p = path.join(customers, f);
      if (/\.ya?ml$/i.test(f) && fs.statSync(p).isFile()) out.push({ file: p, kind: 'customer' });
    }
  }
  const platform = path.join(dir, 'platform.yaml');
  if (fs.existsSync(platform) && fs.statSync(platform).isFile()) out.push({ file: platform, kind: 'platform' });
  return out;
}

function fixtureDirs(): string[] {
  const base = path.join(root, 'test', 'fixtures', 'validation');
  return fs.readdirSync(base).flatMap((group) => fs.readdirSync(path.join(base, group)).map((c) => path.join(base, group, c)));
}

/** The validator's verdict (shape only: zod) and the schema's (ajv) on one file. */
function verdicts(file: string, kind: 'customer' | 'platform') {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file));
  } catch {
    return undefined; // not UTF-8: neither sees data
  }
  const parsed =
    kind === 'customer' ? parseSource(path.basename(file), text, customerSchema) : parseSource(path.basename(file), text, platformSchema);
  if (parsed.raw === undefined || parsed.raw === null) return undefined; // not YAML data: the schema never sees it
  const schemaAccepts = validators[kind](parsed.raw);
  return { zodIssues: parsed.shapeIssues.map((i) => i.message), schemaAccepts, schemaErrors: validators[kind].errors };
}

describe('committed JSON Schemas, checked with ajv', () => {
  test('accept every file of the example fleet', () => {
    const files = fleetFiles(path.join(root, 'config'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const { file, kind } of files) {
      const v = verdicts(file, kind);
      expect(v?.zodIssues).toEqual([]);
      expect({ file, errors: v?.schemaErrors ?? null, accepts: v?.schemaAccepts }).toEqual({ file, errors: null, accepts: true });
    }
  });

  const cases = fixtureDirs().flatMap((dir) =>
    fleetFiles(dir).map((f) => ({ ...f, name: path.relative(path.join(root, 'test', 'fixtures', 'validation'), f.file) })),
  );

  test('accept every fixture file whose shape the validator accepts (the schema is never stricter)', () => {
    const checked = cases.map((c) => ({ c, v: verdicts(c.file, c.kind) })).filter(({ v }) => v && v.zodIssues.length === 0);
    expect(checked.length).toBeGreaterThan(20);
    const refused = checked
      .filter(({ v }) => !v?.schemaAccepts)
      .map(({ c, v }) => `${c.name}: ${JSON.stringify(v?.schemaErrors?.slice(0, 2))}`);
    expect(refused).toEqual([]);
  });

  test('reject every fixture file with an unknown key, a missing required key or a wrong type, as the validator does', () => {
    const structural = cases
      .map((c) => ({ c, v: verdicts(c.file, c.kind) }))
      .filter(({ v }) =>
        v?.zodIssues.some((m) =>
          /^unknown key|^is required|^must be (a|an) (string|number|boolean|object|list)|is not an environment kind|is a vendor platform environment/.test(
            m,
          ),
        ),
      );
    expect(structural.length).toBeGreaterThan(5);
    const accepted = structural.filter(({ v }) => v?.schemaAccepts).map(({ c, v }) => `${c.name}: ${v?.zodIssues.join('; ')}`);
    expect(accepted).toEqual([]);
  });
});
