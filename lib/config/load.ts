/**
 * Loads a fleet directory (`customers/*.yaml` and optional `platform.yaml`), validates the shape
 * of every file and then the semantic rules, and returns the typed fleet, or throws a
 * ConfigValidationError listing every problem found in every file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Document, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import {
  ConfigIssue,
  ConfigValidationError,
  PathSegment,
  describeType,
  didYouMean,
  lineOf,
  objectKeysAt,
  schemaAt,
  sortIssues,
} from './issues';
import { CUSTOMER_ENVIRONMENT_KINDS, CustomerConfig, Fleet, PLATFORM_ENVIRONMENT_KINDS, PlatformConfig, customerSchema, platformSchema } from './model';
import { runSemanticRules } from './rules';

export interface SourceFile<T> {
  /** Relative to the configuration directory, with forward slashes. */
  readonly file: string;
  /** The YAML as parsed (before defaults and coercion). */
  readonly raw: unknown;
  /** The validated value, when the file's shape is valid. */
  readonly value?: T;
  /** Shape issues of this file. */
  readonly shapeIssues: readonly ConfigIssue[];
  readonly doc?: Document.Parsed;
  readonly lines?: LineCounter;
}

/** Field-specific hints for keys that are valid elsewhere. */
const MISPLACED_KEYS: Record<string, string> = {
  readReplica: 'readReplica is only allowed on the prod environment',
  source: 'source is only used by the val environment (the environment it is cloned from)',
  demos: 'demos belong in platform.yaml',
  community: 'community belongs in platform.yaml (a customer sets usesCommunity: true)',
};

function unknownKeyMessage(schema: z.ZodType, parentPath: readonly PathSegment[], key: string): string {
  const allowed = objectKeysAt(schema, parentPath);
  const isCustomerEnvironments = parentPath.length === 1 && parentPath[0] === 'environments';
  if (isCustomerEnvironments) {
    if ((PLATFORM_ENVIRONMENT_KINDS as readonly string[]).includes(key)) {
      return `'${key}' is a vendor platform environment; declare it in platform.yaml, not in a customer file`;
    }
    const hint = didYouMean(key, CUSTOMER_ENVIRONMENT_KINDS);
    return `'${key}' is not an environment kind; a customer's environments are ${CUSTOMER_ENVIRONMENT_KINDS.join(', ')}${hint ? ` (did you mean '${hint}'?)` : ''}`;
  }
  if (MISPLACED_KEYS[key] && !allowed.includes(key)) return `unknown key '${key}': ${MISPLACED_KEYS[key]}`;
  const hint = didYouMean(key, allowed);
  return `unknown key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; allowed keys here: ${allowed.join(', ')}`;
}

function valueAt(raw: unknown, p: readonly PathSegment[]): unknown {
  let cur: unknown = raw;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Turns zod issues into ConfigIssues with messages that say what to write instead. */
export function translateZodIssues(file: string, schema: z.ZodType, raw: unknown, issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const p = issue.path as PathSegment[];
    if (issue.code !== 'unrecognized_keys' && valueAt(raw, p) === undefined) {
      const description = schemaAt(schema, p)?.description;
      out.push({ file, path: p, message: `is required${description ? `: ${description}` : ''}` });
      continue;
    }
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push({ file, path: [...p, key], message: unknownKeyMessage(schema, p, key), code: 'unknown-key' });
        break;
      case 'invalid_type': {
        const value = valueAt(raw, p);
        if (issue.message && !issue.message.startsWith('Invalid input')) {
          out.push({ file, path: p, message: issue.message });
        } else {
          out.push({ file, path: p, message: `must be ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, not ${describeType(value)}` });
        }
        break;
      }
      case 'invalid_union': {
        const value = valueAt(raw, p);
        out.push({ file, path: p, message: issue.message && issue.message !== 'Invalid input' ? issue.message : `has an invalid value (${describeType(value)})` });
        break;
      }
      case 'invalid_value':
        out.push({ file, path: p, message: issue.message.startsWith('Invalid') ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` : issue.message });
        break;
      default:
        out.push({ file, path: p, message: issue.message });
    }
  }
  return out;
}

function readYaml<T>(configDir: string, relative: string, schema: z.ZodType<T>): SourceFile<T> {
  const text = fs.readFileSync(path.join(configDir, relative), 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    return {
      file: relative,
      raw: undefined,
      shapeIssues: doc.errors.map((e) => ({
        file: relative,
        path: [],
        message: `is not valid YAML: ${e.message.split('\n')[0]}`,
        line: e.linePos?.[0]?.line,
      })),
    };
  }
  const raw = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    return { file: relative, raw, shapeIssues: [{ file: relative, path: [], message: 'is empty; see README "Configuration reference" for the expected keys' }] };
  }
  const parsed = schema.safeParse(raw);
  const issues = parsed.success ? [] : translateZodIssues(relative, schema, raw, parsed.error.issues);
  return { file: relative, raw, value: parsed.success ? parsed.data : undefined, shapeIssues: issues, doc, lines };
}

/** Reads every file of a fleet without throwing; the caller decides what to do with issues. */
export function readFleet(configDir: string): {
  customers: SourceFile<CustomerConfig>[];
  platform?: SourceFile<PlatformConfig>;
  issues: ConfigIssue[];
} {
  const issues: ConfigIssue[] = [];
  if (!fs.existsSync(configDir) || !fs.statSync(configDir).isDirectory()) {
    issues.push({ file: configDir, path: [], message: 'configuration directory not found; pass a directory holding customers/*.yaml (and optionally platform.yaml)' });
    return { customers: [], issues };
  }
  const customersDir = path.join(configDir, 'customers');
  const customerFiles = fs.existsSync(customersDir)
    ? fs
        .readdirSync(customersDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  if (customerFiles.length === 0) {
    issues.push({ file: 'customers/', path: [], message: 'no customer files found; add customers/<slug>.yaml (see README "How to add a customer")' });
  }
  const customers = customerFiles.map((f) => readYaml(configDir, `customers/${f}`, customerSchema));
  const platformFile = ['platform.yaml', 'platform.yml'].find((f) => fs.existsSync(path.join(configDir, f)));
  const platform = platformFile ? readYaml(configDir, platformFile, platformSchema) : undefined;

  const all: SourceFile<unknown>[] = [...customers, ...(platform ? [platform] : [])];
  for (const f of all) issues.push(...f.shapeIssues);
  issues.push(...runSemanticRules({ configDir, customers, platform }));

  const byFile = new Map(all.map((f) => [f.file, f]));
  const located = issues.map((i) => {
    if (i.line !== undefined) return i;
    const f = byFile.get(i.file);
    return { ...i, line: lineOf(f?.doc, f?.lines, i.path) };
  });
  return { customers, platform, issues: sortIssues(located) };
}

/**
 * Loads and validates a fleet. Throws ConfigValidationError with every problem when anything is
 * wrong; nothing is returned (and so nothing is synthesised) for a fleet that fails.
 */
export function loadFleet(configDir: string): Fleet {
  const { customers, platform, issues } = readFleet(configDir);
  if (issues.length > 0) throw new ConfigValidationError(configDir, issues);
  return { configDir, customers: customers.map((c) => c.value as CustomerConfig), platform: platform?.value };
}
