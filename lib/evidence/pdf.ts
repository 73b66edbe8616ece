/**
 * PDF rendering of an evidence document with pdfkit (no browser, offline). Deterministic: the
 * metadata dates are the document's own time (never the clock), pdfkit derives the file ID from
 * that metadata, and the standard Helvetica fonts are not embedded, so the same document gives a
 * byte-identical file. Pictures are Graphviz layouts replayed as vector drawing (lib/evidence/diagram.ts).
 */
import PDFDocument from 'pdfkit';
import { Block, EvidenceDocument, SIGNATURE_FIELDS } from './document';
import { DrawOp, GraphLayout } from './diagram';

const MARGIN = 36;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const MONO = 'Courier';

/** The standard PDF fonts cover WinAnsi only: documents are written in ASCII, this catches the rest. */
export function pdfSafe(text: string): string {
  return (
    text
      .replace(/[\u2192]/g, '->')
      .replace(/[\u2026]/g, '...')
      .replace(/[\u2013\u2014]/g, '-')
      .replace(/[\u2018\u2019]/g, "'")
      .replace(/[\u201c\u201d]/g, '"')
      // Tab, newline and carriage return are the control characters text may keep; the rest is outside WinAnsi.
      // eslint-disable-next-line no-control-regex
      .replace(/[^\x09\x0a\x0d\x20-\x7e\xa0-\xff]/g, '?')
  );
}

type Doc = InstanceType<typeof PDFDocument>;

function color(c: string | undefined): { color: string; opacity: number } | undefined {
  if (!c) return undefined;
  const m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c);
  if (m) return { color: `#${m[1]}`, opacity: m[2] ? parseInt(m[2], 16) / 255 : 1 };
  return { color: c, opacity: 1 };
}

function drawLayout(doc: Doc, layout: GraphLayout, x0: number, y0: number, scale: number): void {
  let pen = { color: '#000000', opacity: 1 };
  let fill = { color: '#ffffff', opacity: 1 };
  let fontSize = 10;
  const X = (x: number) => x0 + x * scale;
  const Y = (y: number) => y0 + (layout.height - y) * scale;
  doc.save();
  doc.lineWidth(Math.max(0.3, 0.8 * scale));
  const paint = (filled: boolean) => {
    if (filled && fill.opacity > 0) {
      doc.fillColor(fill.color, fill.opacity).strokeColor(pen.color, pen.opacity).fillAndStroke();
    } else if (pen.opacity > 0) {
      doc.strokeColor(pen.color, pen.opacity).stroke();
    }
  };
  for (const op of layout.ops as DrawOp[]) {
    switch (op.op) {
      case 'c':
        pen = color(op.color) ?? pen;
        break;
      case 'C':
        fill = color(op.color) ?? fill;
        break;
      case 'S':
        if (op.style === 'dashed') doc.dash(3 * scale, { space: 2 * scale });
        else if (op.style === 'dotted') doc.dash(1 * scale, { space: 2 * scale });
        else if (op.style === 'solid') doc.undash();
        break;
      case 'F':
        fontSize = op.size ?? fontSize;
        break;
      case 'p':
      case 'P': {
        const pts = (op.points ?? []).map(([x, y]) => [X(x), Y(y)] as [number, number]);
        if (pts.length < 2) break;
        doc.polygon(...pts);
        paint(op.op === 'P');
        break;
      }
      case 'e':
      case 'E': {
        const [cx, cy, rx, ry] = op.rect ?? [0, 0, 0, 0];
        doc.ellipse(X(cx), Y(cy), rx * scale, ry * scale);
        paint(op.op === 'E');
        break;
      }
      case 'b':
      case 'B':
      case 'L': {
        const pts = (op.points ?? []).map(([x, y]) => [X(x), Y(y)] as [number, number]);
        if (pts.length < 2) break;
        doc.moveTo(pts[0][0], pts[0][1]);
        if (op.op === 'L') for (const p of pts.slice(1)) doc.lineTo(p[0], p[1]);
        else
          for (let i = 1; i + 2 < pts.length; i += 3) {
            doc.bezierCurveTo(pts[i][0], pts[i][1], pts[i + 1][0], pts[i + 1][1], pts[i + 2][0], pts[i + 2][1]);
          }
        // Graphviz's JSON output: uppercase is filled (E, P, B), lowercase is outline (e, p, b).
        if (op.op === 'B') doc.closePath();
        paint(op.op === 'B');
        doc.undash();
        break;
      }
      case 'T': {
        const [tx, ty] = op.pt ?? [0, 0];
        const size = fontSize * scale;
        const width = (op.width ?? 0) * scale;
        const left = op.align === 'c' ? X(tx) - width / 2 : op.align === 'r' ? X(tx) - width : X(tx);
        doc.font(FONT).fontSize(size).fillColor(pen.color, 1);
        const actual = doc.widthOfString(pdfSafe(op.text ?? ''));
        const shift = op.align === 'c' ? (width - actual) / 2 : op.align === 'r' ? width - actual : 0;
        doc.text(pdfSafe(op.text ?? ''), left + shift, Y(ty) - size * 0.78, { lineBreak: false });
        break;
      }
      default:
        break;
    }
  }
  doc.restore();
  doc.undash();
}

function columnWidths(block: Extract<Block, { kind: 'table' }>, total: number): number[] {
  if (block.widths && block.widths.length === block.columns.length) {
    const sum = block.widths.reduce((a, b) => a + b, 0);
    return block.widths.map((w) => (w / sum) * total);
  }
  const weight = block.columns.map((c, i) =>
    Math.min(60, Math.max(6, c.length, ...block.rows.map((r) => Math.min(60, (r[i] ?? '').length)))),
  );
  const sum = weight.reduce((a, b) => a + b, 0);
  return weight.map((w) => (w / sum) * total);
}

export function renderPdf(document: EvidenceDocument, when: string): Promise<Buffer> {
  const date = new Date(when);
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margins: { top: MARGIN, bottom: MARGIN + 14, left: MARGIN, right: MARGIN },
    bufferPages: true,
    autoFirstPage: true,
    info: {
      Title: pdfSafe(document.title),
      Subject: pdfSafe(document.id),
      Author: 'clinspark',
      Creator: 'clinspark',
      Producer: 'clinspark (pdfkit)',
      CreationDate: date,
      ModDate: date,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - MARGIN * 2;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };
  const text = (t: string, opts: { font?: string; size?: number; gap?: number } = {}) => {
    doc
      .font(opts.font ?? FONT)
      .fontSize(opts.size ?? 9)
      .fillColor('#000000');
    const safe = pdfSafe(t);
    ensure(Math.min(doc.heightOfString(safe, { width }), 200));
    doc.text(safe, MARGIN, doc.y, { width });
    doc.moveDown(opts.gap ?? 0.4);
  };
  const table = (
    columns: readonly string[],
    rows: readonly (readonly string[])[],
    widths: number[],
    opts: { headerFill?: boolean } = {},
  ) => {
    const pad = 3;
    const size = 8;
    const rowHeight = (cells: readonly string[], font: string) => {
      doc.font(font).fontSize(size);
      return Math.max(...cells.map((c, i) => doc.heightOfString(pdfSafe(c || ' '), { width: widths[i] - pad * 2 }))) + pad * 2;
    };
    const drawRow = (cells: readonly string[], font: string, fill?: string) => {
      const h = rowHeight(cells, font);
      if (doc.y + h > bottom()) {
        doc.addPage();
        if (font !== BOLD && columns.length > 0 && opts.headerFill !== false) drawRow(columns, BOLD, '#eeeeee');
      }
      const y = doc.y;
      let x = MARGIN;
      cells.forEach((c, i) => {
        if (fill) doc.rect(x, y, widths[i], h).fillColor(fill).fill();
        doc.rect(x, y, widths[i], h).lineWidth(0.5).strokeColor('#999999').stroke();
        doc
          .font(font)
          .fontSize(size)
          .fillColor('#000000')
          .text(pdfSafe(c), x + pad, y + pad, { width: widths[i] - pad * 2 });
        x += widths[i];
      });
      doc.x = MARGIN;
      doc.y = y + h;
    };
    if (columns.length > 0) drawRow(columns, BOLD, opts.headerFill === false ? undefined : '#eeeeee');
    for (const r of rows) drawRow(r, FONT);
    doc.moveDown(0.6);
  };
  for (const b of document.blocks) {
    switch (b.kind) {
      case 'heading': {
        const size = b.level === 1 ? 16 : b.level === 2 ? 12.5 : 10.5;
        ensure(size * 3);
        if (b.level > 1) doc.moveDown(0.3);
        text(b.text, { font: BOLD, size, gap: 0.3 });
        break;
      }
      case 'paragraph':
        text(b.text);
        break;
      case 'list':
        for (const i of b.items) text(`- ${i}`, { gap: 0.15 });
        doc.moveDown(0.3);
        break;
      case 'code':
        text(b.text, { font: MONO, size: 7.5 });
        break;
      case 'table':
        table(b.columns, b.rows, columnWidths(b, width));
        break;
      case 'figure': {
        const maxH = doc.page.height - doc.page.margins.top - doc.page.margins.bottom - 30;
        const scale = Math.min(width / b.layout.width, maxH / b.layout.height, 1.2);
        const h = b.layout.height * scale;
        ensure(h + 20);
        const x0 = MARGIN + (width - b.layout.width * scale) / 2;
        drawLayout(doc, b.layout, x0, doc.y, scale);
        doc.x = MARGIN;
        doc.y += h + 6;
        text(`Figure: ${b.caption}`, { size: 8 });
        break;
      }
      case 'signatures':
        text(`Record SHA-256: ${b.recordSha256}`, { font: BOLD });
        text(b.how);
        for (const r of b.roles) {
          ensure(110);
          table(
            [],
            [
              [r.role, ''],
              ['Meaning of signature', r.meaning],
              ...SIGNATURE_FIELDS.map((f) => [f, '']),
              ['Record SHA-256', b.recordSha256],
            ],
            [width * 0.3, width * 0.7].map((w) => w * 0.8),
            { headerFill: false },
          );
        }
        break;
    }
  }
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const savedBottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font(FONT)
      .fontSize(7)
      .fillColor('#555555')
      .text(pdfSafe(`${document.id} - page ${i + 1} of ${range.count}`), MARGIN, doc.page.height - MARGIN, {
        width,
        align: 'right',
        lineBreak: false,
      });
    doc.page.margins.bottom = savedBottom;
  }
  doc.end();
  return done;
}
