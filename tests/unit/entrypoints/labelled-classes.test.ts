import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvFields, readLabelledFolder } from '../../../src/entrypoints/cli/labelled-classes.js';

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'docroute-labelled-'));
  root = path.join(base, 'data');
  await mkdir(root);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Creates a file (and its folders) below the root. */
const put = async (relative: string, content = 'x'): Promise<void> => {
  const file = path.join(root, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
};

describe('csvFields', () => {
  it('splits on commas and trims', () => {
    expect(csvFields('a,b,c')).toEqual(['a', 'b', 'c']);
    expect(csvFields(' a , b ')).toEqual(['a', 'b']);
  });

  it('keeps commas inside quotes and unescapes doubled quotes', () => {
    expect(csvFields('"a, b.pdf",invoice')).toEqual(['a, b.pdf', 'invoice']);
    expect(csvFields('"say ""hi"".pdf",letter')).toEqual(['say "hi".pdf', 'letter']);
    expect(csvFields('x,"",y')).toEqual(['x', '', 'y']);
  });

  it('keeps empty fields, leading and trailing', () => {
    expect(csvFields('')).toEqual(['']);
    expect(csvFields(',a,')).toEqual(['', 'a', '']);
  });
});

describe('readLabelledFolder: class folders', () => {
  it('labels files by their class folder, recursively, sorted by relative name', async () => {
    await put('invoice/b.pdf');
    await put('invoice/a.pdf');
    await put('invoice/2026/march/c.png');
    await put('letter/d.tiff');
    const folder = await readLabelledFolder(root);
    expect(folder.layout).toBe('folders');
    expect(folder.problems).toEqual([]);
    expect(folder.documents).toEqual([
      { file: path.join(root, 'invoice/2026/march/c.png'), name: 'invoice/2026/march/c.png', label: 'invoice' },
      { file: path.join(root, 'invoice/a.pdf'), name: 'invoice/a.pdf', label: 'invoice' },
      { file: path.join(root, 'invoice/b.pdf'), name: 'invoice/b.pdf', label: 'invoice' },
      { file: path.join(root, 'letter/d.tiff'), name: 'letter/d.tiff', label: 'letter' },
    ]);
  });

  it('ignores hidden files and folders, side files and files at the root', async () => {
    await put('invoice/a.pdf');
    await put('invoice/.DS_Store');
    await put('invoice/.cache/b.pdf');
    await put('invoice/a.json');
    await put('invoice/a.txt');
    await put('invoice/notes.md');
    await put('invoice/index.CSV');
    await put('invoice/meta.yaml');
    await put('.hidden/c.pdf');
    await put('stray.pdf');
    await put('README.md');
    const folder = await readLabelledFolder(root);
    expect(folder.documents.map((d) => d.name)).toEqual(['invoice/a.pdf']);
    expect(folder.problems).toEqual([]);
  });

  it('reports and skips folders whose names are not class names', async () => {
    await put('invoice/a.pdf');
    await put('Bad-Name/b.pdf');
    await put('2026/c.pdf');
    const folder = await readLabelledFolder(root);
    expect(folder.documents.map((d) => d.label)).toEqual(['invoice']);
    expect(folder.problems).toHaveLength(2);
    expect(folder.problems.some((p) => p.startsWith('folder Bad-Name: not a class name'))).toBe(true);
    expect(folder.problems.some((p) => p.startsWith('folder 2026: not a class name'))).toBe(true);
  });

  it('gives nothing for an empty folder', async () => {
    expect(await readLabelledFolder(root)).toEqual({ documents: [], layout: 'folders', problems: [] });
  });
});

describe('readLabelledFolder: labels.csv', () => {
  it('reads file and label columns by header name, in any order, with quoted fields', async () => {
    await put('scans/a, b.pdf');
    await put('c.pdf');
    await put('labels.csv', ['Notes,Label,File', 'first,invoice,"scans/a, b.pdf"', '"second, with comma",letter,c.pdf'].join('\n'));
    const folder = await readLabelledFolder(root);
    expect(folder.layout).toBe('labels.csv');
    expect(folder.problems).toEqual([]);
    expect(folder.documents).toEqual([
      { file: path.join(root, 'scans/a, b.pdf'), name: 'scans/a, b.pdf', label: 'invoice' },
      { file: path.join(root, 'c.pdf'), name: 'c.pdf', label: 'letter' },
    ]);
  });

  it('takes precedence over class folders', async () => {
    await put('invoice/a.pdf');
    await put('letter/b.pdf');
    await put('labels.csv', 'file,label\ninvoice/a.pdf,memo\n');
    const folder = await readLabelledFolder(root);
    expect(folder.layout).toBe('labels.csv');
    expect(folder.documents).toEqual([{ file: path.join(root, 'invoice/a.pdf'), name: 'invoice/a.pdf', label: 'memo' }]);
  });

  it('reports unusable lines with their 1-based line numbers and keeps the good ones', async () => {
    await put('ok.pdf');
    await put('also-ok.pdf');
    await put('sub/dir.pdf/inner.pdf');
    await writeFile(path.join(base, 'x.pdf'), 'outside');
    await mkdir(path.join(base, 'data2'));
    await writeFile(path.join(base, 'data2', 'y.pdf'), 'sibling');
    await put(
      'labels.csv',
      [
        'file,label', // 1
        'ok.pdf,invoice', // 2
        'missing.pdf,invoice', // 3
        '', // 4: blank, skipped silently
        'ok.pdf,Invoice', // 5
        '../x.pdf,invoice', // 6
        '../data2/y.pdf,letter', // 7: a sibling whose name starts like the root
        `${path.join(base, 'x.pdf')},letter`, // 8: absolute, outside
        'sub/dir.pdf,letter', // 9: a directory
        'also-ok.pdf,', // 10: no label
        'also-ok.pdf,letter', // 11
      ].join('\r\n'),
    );
    const folder = await readLabelledFolder(root);
    expect(folder.documents).toEqual([
      { file: path.join(root, 'ok.pdf'), name: 'ok.pdf', label: 'invoice' },
      { file: path.join(root, 'also-ok.pdf'), name: 'also-ok.pdf', label: 'letter' },
    ]);
    expect(folder.problems).toEqual([
      'line 3: missing.pdf does not exist',
      'line 5: label "Invoice" is not a class name (lowercase letters, digits, _)',
      'line 6: ../x.pdf is outside the folder',
      'line 7: ../data2/y.pdf is outside the folder',
      `line 8: ${path.join(base, 'x.pdf')} is outside the folder`,
      'line 9: sub/dir.pdf does not exist',
      'line 10: label "" is not a class name (lowercase letters, digits, _)',
    ]);
  });

  it('reports a header without file and label columns', async () => {
    await put('a.pdf');
    for (const header of ['path,class', 'file,class', 'name,label', '']) {
      await put('labels.csv', `${header}\na.pdf,invoice\n`);
      expect(await readLabelledFolder(root)).toEqual({
        documents: [],
        layout: 'labels.csv',
        problems: ['line 1: the header must name a "file" and a "label" column'],
      });
    }
  });

  it('ignores a labels.csv that is a folder and reads class folders instead', async () => {
    await mkdir(path.join(root, 'labels.csv'));
    await put('invoice/a.pdf');
    const folder = await readLabelledFolder(root);
    expect(folder.layout).toBe('folders');
    expect(folder.documents.map((d) => d.name)).toEqual(['invoice/a.pdf']);
  });
});
