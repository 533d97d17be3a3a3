import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { safeName } from '../../adapters/local/folder-route-sink.js';

/**
 * The upload queue: files received by `POST /api/v1/documents`, waiting for the next batch.
 *
 * Layout of `uploadsDir` (shared by the API, which writes it, and the serve loop, which drains it):
 *
 *   <id>.upload        the uploaded bytes, exactly as received
 *   <id>.upload.name   the original file name, UTF-8, already cleaned (see `uploadName`)
 *   .<anything>        work in progress (temp files); never listed
 *
 * `<id>` is generated here (`u-<UTC yyyymmdd-hhmmss-mmm>-<16 hex>`), never derived from the client's
 * name, so no name can choose or escape the path; ids sort in arrival order. Both files are written
 * to dot-named temp files and renamed into place, the name first and the bytes last: the `.upload`
 * file appearing is the commit point, so `listQueued` never sees an upload without its name, nor a
 * half-written file. The serve loop runs `listQueued` → `runtime.runFiles(items, ...)` → `removeQueued`
 * for each item once the batch has ingested it (the object store keeps its own copy of the bytes).
 */

const UPLOAD_SUFFIX = '.upload';
const NAME_SUFFIX = '.name';
/**
 * Longest original name kept: 120 UTF-16 units (what `safeName` keeps for route folder entries, so
 * it never cuts one of ours, least of all inside a surrogate pair) and 160 UTF-8 bytes (a route
 * entry is `<12 hex>-<name>.json` plus a temp suffix, and file names stop at 255 bytes).
 */
const MAX_NAME_UNITS = 120;
const MAX_NAME_BYTES = 160;
/** An extension longer than this is not kept when a name is cut. */
const MAX_EXTENSION_UNITS = 16;

export interface QueuedUpload {
  /** Absolute path of the bytes. */
  readonly file: string;
  /** The original (cleaned) name, for the batch and the route folders. */
  readonly name: string;
}

/** `String#toWellFormed` (ES2024): lone surrogates become U+FFFD. */
const wellFormedOf = (s: string): string => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** The longest prefix of `s`, in whole code points, within the unit and byte budgets. */
const prefixWithin = (s: string, units: number, bytes: number): string => {
  let out = '';
  let usedBytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (out.length + ch.length > units || usedBytes + b > bytes) break;
    out += ch;
    usedBytes += b;
  }
  return out;
};

/**
 * The name an upload is recorded under: the last path component only (`../../x` → `x`, `C:\a\b` → `b`),
 * no control, bidi or line-separator characters, no leading dots, well-formed UTF-16 (a lone
 * surrogate, as a non-UTF-8 name may decode to, becomes U+FFFD), cut to 120 UTF-16 units and 160
 * UTF-8 bytes on a code point boundary, keeping a short extension. It is metadata only: no file is
 * ever named by it, but route folder entries are derived from it (see MAX_NAME_BYTES).
 */
export const uploadName = (raw: string): string => {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const cleaned = wellFormedOf(raw).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, '_');
  const base = path.basename(cleaned.replace(/\\/g, '/'));
  let cut = base;
  if (base.length > MAX_NAME_UNITS || Buffer.byteLength(base, 'utf8') > MAX_NAME_BYTES) {
    const dot = base.lastIndexOf('.');
    const ext = dot > 0 && base.length - dot <= MAX_EXTENSION_UNITS ? base.slice(dot) : '';
    const stem = base.slice(0, base.length - ext.length);
    cut = prefixWithin(stem, MAX_NAME_UNITS - ext.length, MAX_NAME_BYTES - Buffer.byteLength(ext, 'utf8')) + ext;
  }
  // Leading dots and anything safeName would still change; its own cut at 120 units is a no-op now.
  return safeName(cut);
};

const stamp = (now: Date): string =>
  now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .replace(/\.(\d{3})Z$/, '-$1');

/** Queues one upload; returns where its bytes are, the recorded name and the bytes' document id. */
export const queueUpload = async (
  dir: string,
  name: string,
  bytes: Uint8Array,
  now: Date = new Date(),
): Promise<{ id: string; file: string; name: string; documentId: string; size: number }> => {
  const id = `u-${stamp(now)}-${randomBytes(8).toString('hex')}`;
  const file = path.join(dir, `${id}${UPLOAD_SUFFIX}`);
  const recorded = uploadName(name);
  const tag = randomBytes(6).toString('hex');
  const tmpName = path.join(dir, `.${id}.${tag}.name.tmp`);
  const tmpBytes = path.join(dir, `.${id}.${tag}.upload.tmp`);
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(tmpName, recorded, { encoding: 'utf8', mode: 0o600, flag: 'wx' });
    await rename(tmpName, `${file}${NAME_SUFFIX}`);
    await writeFile(tmpBytes, bytes, { mode: 0o600, flag: 'wx' });
    await rename(tmpBytes, file);
  } catch (err) {
    await Promise.all([tmpName, tmpBytes, `${file}${NAME_SUFFIX}`].map((p) => unlink(p).catch(() => undefined)));
    throw err;
  }
  return { id, file, name: recorded, documentId: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
};

/** The queued uploads, oldest first. A name file that cannot be read falls back to `document`. */
export const listQueued = async (dir: string): Promise<QueuedUpload[]> => {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const uploads = entries.filter((e) => !e.startsWith('.') && e.endsWith(UPLOAD_SUFFIX)).sort();
  return Promise.all(
    uploads.map(async (e) => {
      const file = path.join(dir, e);
      const name = await readFile(`${file}${NAME_SUFFIX}`, 'utf8').catch(() => '');
      return { file, name: uploadName(name || 'document') };
    }),
  );
};

/** Removes a queued upload (bytes first, so a crash in between never leaves bytes without a name). */
export const removeQueued = async (file: string): Promise<void> => {
  await unlink(file).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  });
  await unlink(`${file}${NAME_SUFFIX}`).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  });
};
