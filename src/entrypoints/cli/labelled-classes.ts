import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * A folder of labelled documents for `train` and `eval classify`, in one of two layouts:
 * - `labels.csv` at its root with a header naming `file` and `label` columns (paths relative to the folder);
 * - otherwise one sub-folder per class, `<class>/<files>` (searched recursively below the class folder).
 * Hidden files and `.csv`/`.json`/`.txt`/`.md` side files are not documents.
 */

export interface ClassLabelledDocument {
  readonly file: string;
  /** Path relative to the folder: what reports show. */
  readonly name: string;
  readonly label: string;
}

export interface LabelledFolder {
  readonly documents: readonly ClassLabelledDocument[];
  readonly layout: 'labels.csv' | 'folders';
  /** Lines of labels.csv that could not be used, with why (1-based line numbers). */
  readonly problems: readonly string[];
}

const SIDE_FILES = /\.(csv|json|txt|md|yaml|yml)$/i;
const CLASS_NAME = /^[a-z][a-z0-9_]*$/;

/** Splits one CSV line (RFC 4180 quoting). */
export const csvFields = (line: string): string[] => {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  fields.push(cur);
  return fields.map((f) => f.trim());
};

const walk = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true }))
    .filter((x) => !x.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() && !SIDE_FILES.test(e.name)) out.push(p);
  }
  return out;
};

export const readLabelledFolder = async (root: string): Promise<LabelledFolder> => {
  const csv = path.join(root, 'labels.csv');
  const hasCsv = await stat(csv).then(
    (s) => s.isFile(),
    () => false,
  );
  if (hasCsv) {
    const lines = (await readFile(csv, 'utf8')).split(/\r?\n/);
    const header = csvFields(lines[0] ?? '').map((h) => h.toLowerCase());
    const fileCol = header.indexOf('file');
    const labelCol = header.indexOf('label');
    if (fileCol < 0 || labelCol < 0) {
      return { documents: [], layout: 'labels.csv', problems: ['line 1: the header must name a "file" and a "label" column'] };
    }
    const documents: ClassLabelledDocument[] = [];
    const problems: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (!line.trim()) continue;
      const f = csvFields(line);
      const name = f[fileCol] ?? '';
      const label = f[labelCol] ?? '';
      const file = path.resolve(root, name);
      if (!CLASS_NAME.test(label)) {
        problems.push(`line ${i + 1}: label "${label}" is not a class name (lowercase letters, digits, _)`);
        continue;
      }
      if (!file.startsWith(path.resolve(root) + path.sep)) {
        problems.push(`line ${i + 1}: ${name} is outside the folder`);
        continue;
      }
      const ok = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!ok) {
        problems.push(`line ${i + 1}: ${name} does not exist`);
        continue;
      }
      documents.push({ file, name, label });
    }
    return { documents, layout: 'labels.csv', problems };
  }
  const documents: ClassLabelledDocument[] = [];
  const problems: string[] = [];
  for (const e of (await readdir(root, { withFileTypes: true })).filter((x) => x.isDirectory() && !x.name.startsWith('.'))) {
    if (!CLASS_NAME.test(e.name)) {
      problems.push(`folder ${e.name}: not a class name (lowercase letters, digits, _); skipped`);
      continue;
    }
    for (const file of await walk(path.join(root, e.name))) documents.push({ file, name: path.relative(root, file), label: e.name });
  }
  documents.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { documents, layout: 'folders', problems };
};
