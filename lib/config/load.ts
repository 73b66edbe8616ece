/**
 * Loads a fleet directory (`customers/*.yaml` and optional `platform.yaml`), validates the shape
 * of every file and then the semantic rules, and returns the typed fleet, or throws a
 * ConfigValidationError listing every problem found in every file.
 *
 * Nothing a user can put in the directory makes this throw anything else: files that are
 * directories, a `customers` file, symlinks, bytes that are not UTF-8, YAML syntax errors,
 * duplicate keys and alias bombs all become problems with a file, a path and a line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Document, LineCounter, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import {
  ConfigIssue,
  ConfigValidationError,
  PathSegment,
  describeType,
  didYouMean,
  isWarning,
  objectKeysAt,
  schemaAt,
  sortIssues,
} from './issues';
import {
  CUSTOMER_ENVIRONMENT_KINDS,
  CustomerConfig,
  Fleet,
  PLATFORM_ENVIRONMENT_KINDS,
  PlatformConfig,
  customerSchema,
  platformSchema,
} from './model';
import { runSemanticRules } from './rules';
import { deployedLockOf, runLifecycleRules, todayUtc } from './lifecycle-rules';
import { LEDGER_FILE, ReleaseLedger, releaseLedgerSchema } from './releases';
import { ALIAS_BOMB_MESSAGE, MAX_ALIAS_COUNT, readConfigFile } from './files';
import { LineIndex, keyPathAt } from './lines';

// SourceFile lives in issues.ts (the semantic rules use it too); re-exported for callers.
import type { SourceFile } from './issues';
export type { SourceFile };

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
    return (
      `'${key}' is not an environment kind; a customer's environments are ` +
      `${CUSTOMER_ENVIRONMENT_KINDS.join(', ')}${hint ? ` (did you mean '${hint}'?)` : ''}`
    );
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
        for (const key of issue.keys)
          out.push({ file, path: [...p, key], message: unknownKeyMessage(schema, p, key), code: 'unknown-key' });
        break;
      case 'invalid_type': {
        const value = valueAt(raw, p);
        if (issue.message && !issue.message.startsWith('Invalid input')) {
          out.push({ file, path: p, message: issue.message });
        } else {
          const expected = issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
          out.push({ file, path: p, message: `must be ${expected}, not ${describeType(value)}` });
        }
        break;
      }
      case 'invalid_union': {
        const value = valueAt(raw, p);
        out.push({
          file,
          path: p,
          message: issue.message && issue.message !== 'Invalid input' ? issue.message : `has an invalid value (${describeType(value)})`,
        });
        break;
      }
      case 'invalid_value':
        out.push({
          file,
          path: p,
          message: issue.message.startsWith('Invalid')
            ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
            : issue.message,
        });
        break;
      default:
        out.push({ file, path: p, message: issue.message });
    }
  }
  return out;
}

/** The first alias (`*name`) of a document, for the line of an alias-bomb report. */
function firstAliasLine(doc: Document.Parsed, lines: LineCounter): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function yamlIssues(file: string, text: string, doc: Document.Parsed, lines: LineCounter): ConfigIssue[] {
  return doc.errors.map((e) => {
    const line = lines.linePos(e.pos[0]).line;
    if (e.code === 'DUPLICATE_KEY') {
      const found = keyPathAt(doc, e.pos[0]);
      const name = found ? String(found.path[found.path.length - 1]) : text.slice(e.pos[0], e.pos[1]);
      const firstLine = found?.counterpart?.range ? lines.linePos(found.counterpart.range[0]).line : undefined;
      return {
        file,
        path: found?.path ?? [],
        message:
          `key '${name}' is given twice in the same ` +
          `mapping${firstLine !== undefined && firstLine !== line ? ` (first on line ${firstLine})` : ''}; ` +
          `YAML keeps only one of them: remove or merge the duplicate`,
        line,
      };
    }
    const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    return { file, path: [], message: `is not valid YAML: ${first}; fix the syntax here (indentation, quotes, brackets)`, line };
  });
}

/** Parses and shape-checks one file's text. */
export function parseSource<T>(file: string, text: string, schema: z.ZodType<T>): SourceFile<T> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) return { file, raw: undefined, shapeIssues: yamlIssues(file, text, doc, lines) };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const bomb = e instanceof ReferenceError && /alias/i.test(e.message);
    return {
      file,
      raw: undefined,
      shapeIssues: [
        {
          file,
          path: [],
          message: bomb
            ? ALIAS_BOMB_MESSAGE
            : `cannot be read as data (${(e as Error).message}); simplify the YAML (no custom tags or complex keys)`,
          line: firstAliasLine(doc, lines),
        },
      ],
    };
  }
  if (raw === null || raw === undefined) {
    return {
      file,
      raw,
      shapeIssues: [{ file, path: [], message: 'is empty; see README "Configuration reference" for the expected keys' }],
    };
  }
  const parsed = schema.safeParse(raw);
  const issues = parsed.success ? [] : translateZodIssues(file, schema, raw, parsed.error.issues);
  return { file, raw, value: parsed.success ? parsed.data : undefined, shapeIssues: issues, doc, index: new LineIndex(doc, lines) };
}

function readYaml<T>(configDir: string, relative: string, schema: z.ZodType<T>, what: string): SourceFile<T> {
  const read = readConfigFile(path.join(configDir, relative), relative, { what });
  if (!read.ok) return { file: relative, raw: undefined, shapeIssues: [read.issue] };
  return parseSource(relative, read.text, schema);
}

function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

/** The customer files to read, and the problems of the customers directory itself. */
function customerFiles(configDir: string, issues: ConfigIssue[]): string[] {
  const dir = path.join(configDir, 'customers');
  const stat = statOf(dir);
  if (!stat) {
    issues.push({
      file: 'customers/',
      path: [],
      message: 'no customer files found; add customers/<slug>.yaml (see README "How to add a customer")',
    });
    return [];
  }
  if (!stat.isDirectory()) {
    issues.push({
      file: 'customers',
      path: [],
      message:
        'is a file, not a directory; customers must be a directory holding one ' +
        '<slug>.yaml file per customer: move this file to customers/<slug>.yaml',
    });
    return [];
  }
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    issues.push({
      file: 'customers/',
      path: [],
      message: `cannot be listed (${(e as NodeJS.ErrnoException).code ?? String(e)}); check its permissions`,
    });
    return [];
  }
  const yamlNames = names.filter((f) => /\.ya?ml$/i.test(f));
  const files: string[] = [];
  for (const f of yamlNames) {
    const base = f.replace(/\.ya?ml$/i, '');
    if (!/\.ya?ml$/.test(f)) {
      issues.push({
        file: `customers/${f}`,
        path: [],
        message: `is not read: customer files end in lowercase .yaml; rename it to customers/${base}.yaml`,
      });
    } else if (f.endsWith('.yml') && names.includes(`${base}.yaml`)) {
      issues.push({
        file: `customers/${f}`,
        path: [],
        message:
          `customers/${base}.yaml exists too, and a customer has one file: merge this file ` + `into customers/${base}.yaml and delete it`,
      });
    } else {
      files.push(f);
    }
  }
  if (yamlNames.length === 0) {
    issues.push({
      file: 'customers/',
      path: [],
      message: 'no customer files found; add customers/<slug>.yaml (see README "How to add a customer")',
    });
  }
  return files;
}

/** How a fleet is read. */
export interface ReadFleetOptions {
  /**
   * Read the fleet as if it had no stateful lock: only for `npm run stateful-lock:update`, which
   * rewrites a lock that is broken.
   * @default false
   */
  readonly ignoreLock?: boolean;
}

/** Reads every file of a fleet without throwing; the caller decides what to do with issues. */
export function readFleet(
  configDir: string,
  options: ReadFleetOptions = {},
): {
  customers: SourceFile<CustomerConfig>[];
  platform?: SourceFile<PlatformConfig>;
  ledger?: SourceFile<ReleaseLedger>;
  /** Texts of the files the configuration references (scrub rules, seed schemas), keyed by their path in it. */
  texts: Map<string, string>;
  issues: ConfigIssue[];
} {
  const texts = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  if (!statOf(configDir)?.isDirectory()) {
    issues.push({
      file: configDir,
      path: [],
      message: 'configuration directory not found; pass a directory holding customers/*.yaml (and optionally platform.yaml)',
    });
    return { customers: [], texts, issues };
  }
  const customers = customerFiles(configDir, issues).map((f) => readYaml(configDir, `customers/${f}`, customerSchema, 'a customer file'));
  const platformFiles = ['platform.yaml', 'platform.yml'].filter((f) => fs.existsSync(path.join(configDir, f)));
  if (platformFiles.length > 1) {
    issues.push({
      file: 'platform.yml',
      path: [],
      message: 'platform.yaml exists too, and the platform has one file: merge this file into platform.yaml and delete it',
    });
  }
  const platform = platformFiles.length > 0 ? readYaml(configDir, platformFiles[0], platformSchema, 'platform.yaml') : undefined;

  const ledger = fs.existsSync(path.join(configDir, LEDGER_FILE))
    ? readYaml(configDir, LEDGER_FILE, releaseLedgerSchema, 'the release ledger')
    : undefined;

  const all: SourceFile<unknown>[] = [...customers, ...(platform ? [platform] : []), ...(ledger ? [ledger] : [])];
  for (const f of all) issues.push(...f.shapeIssues);
  issues.push(...runSemanticRules({ configDir, texts, customers, platform }));
  const { lock, issues: lockIssues } = options.ignoreLock ? { lock: undefined, issues: [] } : deployedLockOf(configDir);
  issues.push(...lockIssues);
  issues.push(
    ...runLifecycleRules({
      configDir,
      texts,
      customers,
      platform,
      ledger,
      lock,
      deployedStacks: new Set(Object.keys(lock ?? {})),
      today: todayUtc(),
    }),
  );

  const byFile = new Map(all.map((f) => [f.file, f]));
  const located = issues.map((i) => {
    if (i.line !== undefined) return i;
    const line = byFile.get(i.file)?.index?.lineOf(i.path);
    return line === undefined ? i : { ...i, line };
  });
  return { customers, platform, ledger, texts, issues: sortIssues(located) };
}

/**
 * Loads and validates a fleet. Throws ConfigValidationError with every problem when anything is
 * wrong; nothing is returned (and so nothing is synthesised) for a fleet that fails.
 */
export function loadFleet(configDir: string, options: ReadFleetOptions = {}): Fleet {
  const { customers, platform, ledger, texts, issues } = readFleet(configDir, options);
  const errors = issues.filter((i) => !isWarning(i));
  // A fleet with errors reports its warnings too, so one run shows everything.
  if (errors.length > 0) throw new ConfigValidationError(configDir, [...errors, ...issues.filter(isWarning)]);
  return {
    configDir,
    customers: customers.map((c) => c.value as CustomerConfig),
    platform: platform?.value,
    releases: ledger?.value,
    files: texts,
    warnings: issues.filter(isWarning),
  };
}
