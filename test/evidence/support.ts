/**
 * Helpers of the evidence tests: cloud assemblies of (copies of) the example fleet built with the
 * project's own helpers, the CLI run in-process, temporary directories removed after each file,
 * and text extraction from PDFs (pdf-parse, in a child process: it loads pdf.js, an ES module).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { main } from '../../lib/cli/main';
import { buildTestFleet, EXAMPLE_CONFIG } from '../support/fleet';

export const ROOT = path.join(__dirname, '..', '..');
const temps: string[] = [];

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `clinspark-evidence-${prefix}-`));
  temps.push(dir);
  return dir;
}

export function cleanTemps(): void {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** The cloud assembly directory of a (copy of the) example fleet, synthesised once per file. */
export function assemblyOf(options: { configDir?: string; customers?: string[]; platform?: boolean } = {}): string {
  const built = buildTestFleet({
    configDir: options.configDir ?? EXAMPLE_CONFIG,
    customers: options.customers,
    platform: options.platform,
  });
  return built.app.synth().directory;
}

/** A copy of the example fleet with customers/<slug>.yaml edited (YAML document API). */
export function fleetWith(slug: string, edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const dir = tempDir('fleet');
  fs.cpSync(EXAMPLE_CONFIG, dir, { recursive: true });
  const file = path.join(dir, 'customers', `${slug}.yaml`);
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  edit(doc);
  fs.writeFileSync(file, doc.toString());
  return dir;
}

/** A copy of an assembly whose templates `edit` changes (template JSON by stack name). */
export function plantedAssembly(
  source: string,
  edit: (
    stack: string,
    template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }> },
  ) => boolean | void,
): string {
  const dir = tempDir('planted');
  fs.cpSync(source, dir, { recursive: true, filter: (f) => !path.basename(f).startsWith('asset.') });
  let changed = false;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.template.json'))) {
    const file = path.join(dir, f);
    const t = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (edit(f.replace('.template.json', ''), t) === true) {
      fs.writeFileSync(file, JSON.stringify(t, null, 1));
      changed = true;
    }
  }
  if (!changed) throw new Error('plantedAssembly: the edit changed no template');
  return dir;
}

export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

/** The text of a PDF, in content order, via pdf-parse (pinned) in a child Node process. */
export function pdfText(file: string): string {
  const script =
    `const { PDFParse } = require('pdf-parse'); const fs = require('fs');
new ` +
    `PDFParse({ data: fs.readFileSync(process.argv[1]) }).getText().then((r) => ` +
    `process.stdout.write(r.text), (e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, file], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pdf-parse failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * The words of a Markdown document as plain text: table pipes, heading marks, list dashes, code
 * fences and backslash escapes removed, whitespace removed, so that a PDF whose lines wrap
 * differently can be compared with it.
 */
export function markdownCells(md: string): string[] {
  const cells: string[] = [];
  let inCode = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) {
      inCode = !inCode;
      continue;
    }
    if (inCode) continue; // Graphviz source: the PDF shows the drawing instead
    if (/^\|(-{3}\|)+$/.test(line) || line.trim() === '') continue;
    if (line.startsWith('|')) {
      for (const c of line.slice(1, -1).split(/(?<!\\)\|/)) if (c.trim()) cells.push(c.trim().replace(/\\([\\|`*_<>#-])/g, '$1'));
    } else {
      cells.push(
        line
          .replace(/^#+ /, '')
          .replace(/^- /, '- ')
          .replace(/\\([\\|`*_<>#.+-])/g, '$1'),
      );
    }
  }
  return cells;
}

export const squash = (s: string) => s.replace(/\s+/g, '');
