/**
 * One document model for every evidence document (ECR, IQ, configuration report, environment
 * diff), rendered to Markdown, HTML and PDF from the same blocks, so the three say the same thing
 * word for word (a test extracts the PDF's text and compares it with the Markdown). Text is plain:
 * no inline markup, so nothing is lost between the formats.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GraphLayout } from './diagram';

export type Block =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3; readonly text: string }
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | {
      readonly kind: 'table';
      readonly columns: readonly string[];
      readonly rows: readonly (readonly string[])[];
      readonly widths?: readonly number[];
    }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'figure'; readonly caption: string; readonly svg: string; readonly layout: GraphLayout }
  | {
      readonly kind: 'signatures';
      readonly recordSha256: string;
      readonly how: string;
      readonly roles: readonly { readonly role: string; readonly meaning: string }[];
    };

export interface EvidenceDocument {
  readonly title: string;
  /** Printed in the footer of every PDF page and in the HTML head. */
  readonly id: string;
  readonly blocks: readonly Block[];
}

export const SIGNATURE_FIELDS = ['Printed name', 'Signature', 'Date and time (UTC)'] as const;

function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdText(text: string): string {
  // Plain text: escape the characters Markdown would read as markup at the start of a line or inline.
  return text.replace(/([\\`*_<>])/g, '\\$1').replace(/^(#|\d+\.|-|\+) /gm, '\\$1 ');
}

export function renderMarkdown(doc: EvidenceDocument): string {
  const out: string[] = [];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level)} ${b.text.replace(/([\\`*_<>])/g, '\\$1')}`, '');
        break;
      case 'paragraph':
        out.push(mdText(b.text), '');
        break;
      case 'list':
        out.push(...b.items.map((i) => `- ${mdText(i)}`), '');
        break;
      case 'table':
        out.push(
          `| ${b.columns.map(mdCell).join(' | ')} |`,
          `|${b.columns.map(() => '---').join('|')}|`,
          ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
          '',
        );
        break;
      case 'code':
        out.push('```', b.text, '```', '');
        break;
      case 'figure':
        // The picture itself is in the HTML and PDF; Markdown carries its Graphviz source.
        out.push(`Figure: ${mdText(b.caption)}`, '', '```dot', b.layout.dot, '```', '');
        break;
      case 'signatures':
        out.push(`Record SHA-256: ${b.recordSha256}`, '', mdText(b.how), '');
        for (const r of b.roles) {
          out.push(
            `| ${mdCell(r.role)} | |`,
            '|---|---|',
            `| Meaning of signature | ${mdCell(r.meaning)} |`,
            ...SIGNATURE_FIELDS.map((f) => `| ${f} | |`),
            `| Record SHA-256 | ${b.recordSha256} |`,
            '',
          );
        }
        break;
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CSS =
  `body{font-family:Helvetica,Arial,sans-serif;font-size:10pt;margin:2em;color:#111}
table{border-collapse:collapse;margin:.5em ` +
  `0 1em;width:100%}th,td{border:1px solid #999;padding:3px ` +
  `6px;text-align:left;vertical-align:top;word-break:break-word}
th{background:#eee}pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}figure{margin:1em ` +
  `0}figure svg{max-width:100%;height:auto}
.sig ` +
  `td:first-child{width:30%;font-weight:bold}.sig{width:70%}.sha{font-family:monospace}`;

export function renderHtml(doc: EvidenceDocument): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${esc(doc.title)}</title>`,
    `<meta name="document-id" content="${esc(doc.id)}">`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
  ];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`<h${b.level}>${esc(b.text)}</h${b.level}>`);
        break;
      case 'paragraph':
        out.push(`<p>${esc(b.text)}</p>`);
        break;
      case 'list':
        out.push('<ul>', ...b.items.map((i) => `<li>${esc(i)}</li>`), '</ul>');
        break;
      case 'table':
        out.push(
          '<table>',
          `<tr>${b.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`,
          ...b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`),
          '</table>',
        );
        break;
      case 'code':
        out.push(`<pre>${esc(b.text)}</pre>`);
        break;
      case 'figure':
        out.push(
          '<figure>',
          b.svg
            .replace(/^<\?xml[^>]*>\s*/, '')
            .replace(/^<!DOCTYPE[^>]*>\s*/, '')
            .replace(/<!--[\s\S]*?-->\s*/g, ''),
          `<figcaption>Figure: ${esc(b.caption)}</figcaption>`,
          '</figure>',
        );
        break;
      case 'signatures':
        out.push(`<p>Record SHA-256: <span class="sha">${b.recordSha256}</span></p>`, `<p>${esc(b.how)}</p>`);
        for (const r of b.roles) {
          out.push(
            '<table class="sig">',
            `<tr><th colspan="2">${esc(r.role)}</th></tr>`,
            `<tr><td>Meaning of signature</td><td>${esc(r.meaning)}</td></tr>`,
            ...SIGNATURE_FIELDS.map((f) => `<tr><td>${f}</td><td>&nbsp;</td></tr>`),
            `<tr><td>Record SHA-256</td><td class="sha">${b.recordSha256}</td></tr>`,
            '</table>',
          );
        }
        break;
    }
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}

/** Writes `<base>.md`, `<base>.html` (and the caller writes JSON/PDF) into `dir`; returns the paths. */
export function writeText(dir: string, base: string, doc: EvidenceDocument): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const md = path.join(dir, `${base}.md`);
  const html = path.join(dir, `${base}.html`);
  fs.writeFileSync(md, renderMarkdown(doc));
  fs.writeFileSync(html, renderHtml(doc));
  return [md, html];
}
