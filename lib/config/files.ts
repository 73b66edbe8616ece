/**
 * Reading the files of a configuration directory without ever throwing at the user: a directory
 * where a file is expected, a symlink that leaves the configuration directory, an unreadable file
 * or bytes that are not UTF-8 each become one `<file>: (file): <problem and fix>` issue.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigIssue } from './issues';

/** Most alias expansions accepted in one file (a configuration file needs none). */
export const MAX_ALIAS_COUNT = 100;
export const ALIAS_BOMB_MESSAGE =
  `uses YAML aliases (*name) that expand to more than ${MAX_ALIAS_COUNT} copies ` +
  `(an "alias bomb"); write the values out, or use aliases sparingly`;

export type ReadResult = { ok: true; text: string } | { ok: false; issue: ConfigIssue };

/** Largest configuration file read (a customer file is a few KiB; this only stops accidents). */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

function fail(file: string, message: string, line?: number): ReadResult {
  return { ok: false, issue: { file, path: [], message, ...(line !== undefined ? { line } : {}) } };
}

/** True when `child` is `parent` or lies below it. */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The offset of the first byte that does not belong to a well-formed UTF-8 sequence (overlong
 * forms, surrogates and code points above U+10FFFF included), or -1 when the buffer is UTF-8.
 */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min, cp] = [1, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [need, min, cp] = [2, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [need, min, cp] = [3, 0x10000, b & 0x07];
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Decodes UTF-8 strictly (TextDecoder fatal); on failure says where the first bad byte is. */
export function decodeUtf8(file: string, buf: Uint8Array): ReadResult {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(buf) };
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(buf));
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset; i++) {
      if (buf[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const byte = buf[offset] ?? 0;
    return fail(
      file,
      `is not valid UTF-8: byte 0x${byte.toString(16).padStart(2, '0')} at line ` +
        `${line}, byte ${offset - lineStart + 1} of the line (offset ${offset}) ` +
        'is not part of a UTF-8 character (a Latin-1 or Windows-1252 export?); save the file as UTF-8',
      line,
    );
  }
}

export interface ReadOptions {
  /** Refuse a file whose real path (symlinks followed) is outside this directory. */
  readonly confineTo?: string;
  /** How the file is referred to in messages when it is not where it should be. */
  readonly what?: string;
}

/** Reads one text file of the configuration directory; `file` is how it is named in issues. */
export function readConfigFile(absolute: string, file: string, options: ReadOptions = {}): ReadResult {
  const what = options.what ?? 'a configuration file';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      let isLink = false;
      try {
        isLink = fs.lstatSync(absolute).isSymbolicLink();
      } catch {
        /* not there at all */
      }
      return fail(
        file,
        isLink
          ? `is a symbolic link to a file that does not exist; ${what} must be a regular file`
          : `does not exist; create it, or fix the name`,
      );
    }
    return fail(file, `cannot be read (${code ?? String(e)}); check its permissions`);
  }
  if (stat.isDirectory()) return fail(file, `is a directory, not a file; ${what} must be a regular file: remove or rename the directory`);
  if (!stat.isFile()) return fail(file, `is not a regular file; ${what} must be a regular file`);
  if (options.confineTo !== undefined) {
    let real: string;
    let root: string;
    try {
      real = fs.realpathSync(absolute);
      root = fs.realpathSync(options.confineTo);
    } catch (e) {
      return fail(file, `cannot be resolved (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (!isInside(root, real)) {
      return fail(
        file,
        `is a symbolic link that leaves the configuration directory (to ${real}); keep ` +
          `${what} inside the configuration directory as a regular file`,
      );
    }
  }
  if (stat.size > MAX_FILE_BYTES)
    return fail(file, `is ${stat.size} bytes; configuration files are at most ${MAX_FILE_BYTES} bytes: is this the right file?`);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(absolute);
  } catch (e) {
    return fail(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); check its permissions`);
  }
  return decodeUtf8(file, buf);
}
