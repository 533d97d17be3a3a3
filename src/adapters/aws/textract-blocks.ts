import type { Block } from '@aws-sdk/client-textract';
import type { BoundingBox, Extraction, KeyValue, Line, MediaType, PageText, Provenance, QueryAnswer, Word } from '../../domain/document.js';
import { DependencyUnavailableError } from '../../domain/errors.js';

/**
 * Maps Amazon Textract document-analysis Blocks (GetDocumentAnalysis, all result pages merged) onto
 * the extraction model. Pure: no SDK runtime, no I/O; the SDK is imported for its types only.
 *
 * - PAGE → PageText, one per page number 1..N, in order. A page Textract reported in
 *   DocumentMetadata but returned no PAGE block for (PARTIAL_SUCCESS) becomes an empty page with the
 *   note TEXTRACT_PAGE_MISSING, so `pages[i].page === i + 1` holds as it does locally.
 * - LINE → Line in the PAGE's CHILD order (Textract's reading order); a LINE the PAGE does not list
 *   is appended in response order, by its `Page`. A line's words are its CHILD WORD blocks.
 * - KEY_VALUE_SET KEY → VALUE → KeyValue; a VALUE's SELECTION_ELEMENT children read SELECTED or
 *   NOT_SELECTED. QUERY → ANSWER → QUERY_RESULT → QueryAnswer, one per answer.
 * - TABLE, CELL and LAYOUT_* blocks are not mapped (the model has no table), but every word they
 *   hold is in a LINE, so no text is lost.
 *
 * Text is joined as the local engines join it: a line's words with spaces, a page's lines with
 * '\n', pages with '\f'. Confidences are Textract's 0–100 divided by 100. A page's confidence is the
 * mean of its words' weighted by their length; the extraction's is the mean of the pages' weighted by
 * their text length (both rounded to 3 places, as `extractText` does).
 *
 * Missing ids, relationships or fields are skipped, never fatal. Only a response without any PAGE
 * block is refused: it is not a document analysis at all.
 */

export interface TextractExtractionInput {
  /** Every Block of the job, all NextToken result pages concatenated in order. */
  readonly blocks: readonly Block[];
  /** DocumentMetadata.Pages. */
  readonly pages: number;
  readonly mediaType: MediaType;
  /** ISO-8601 time the analysis was started. */
  readonly startedAt?: string;
  readonly durationMs?: number;
  /** AnalyzeDocumentModelVersion, kept as the OCR engine's version. */
  readonly modelVersion?: string;
  /**
   * Page sizes (PDF points or pixels, upright), by page, when the caller knows them. Textract only
   * returns geometry as fractions of the page, never the page's size: without this, pages are
   * 1 × 1, i.e. the normalised unit square the boxes are expressed in.
   */
  readonly pageSizes?: readonly { readonly width: number; readonly height: number }[];
}

/** What this mapping calls itself in provenance; bump the version when the mapping changes. */
export const TEXTRACT_MAPPING_ENGINE = 'docroute-textract';
export const TEXTRACT_MAPPING_VERSION = '1';
export const TEXTRACT_OCR_ENGINE = 'amazon-textract';

/** The note on a page Textract did not return (see the module comment). */
export const TEXTRACT_PAGE_MISSING = 'TEXTRACT_PAGE_MISSING';

/** Textract's own ceiling for an asynchronous job (PDF and TIFF): no real page number is higher. */
export const TEXTRACT_MAX_PAGES = 3000;

const EMPTY_BOX: BoundingBox = { left: 0, top: 0, width: 0, height: 0 };

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isBlock = (value: unknown): value is Block => isRecord(value);

const clamp01 = (value: number): number => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0);

const finite = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

const confidenceOf = (block: Block): number => clamp01(finite(block.Confidence) / 100);

const textOf = (block: Block): string => (typeof block.Text === 'string' ? block.Text.trim() : '');

/**
 * Textract's BoundingBox is already fractions of the page, origin top-left. Items at the edge can
 * overhang by a hair (negative left, left + width > 1): cut to the page as the local engines do.
 */
const boxOf = (block: Block | undefined): BoundingBox => {
  // Typed, but read from a service's JSON (or a stored copy of it): null and junk are possible.
  const b: unknown = block?.Geometry?.BoundingBox;
  if (!isRecord(b)) return EMPTY_BOX;
  const left = finite(b.Left);
  const top = finite(b.Top);
  const width = Math.max(0, finite(b.Width));
  const height = Math.max(0, finite(b.Height));
  if (left >= 0 && top >= 0 && left + width <= 1 && top + height <= 1) return { left, top, width, height };
  const l = clamp01(left);
  const t = clamp01(top);
  return { left: l, top: t, width: Math.max(0, clamp01(left + width) - l), height: Math.max(0, clamp01(top + height) - t) };
};

const hasBox = (block: Block | undefined): boolean => isRecord(block?.Geometry?.BoundingBox);

/** The ids of a block's relationships of `type`, in order; nothing when they are missing or malformed. */
const related = (block: Block, type: string): string[] => {
  const out: string[] = [];
  if (!Array.isArray(block.Relationships)) return out;
  for (const rel of block.Relationships as unknown[]) {
    if (!isRecord(rel) || rel.Type !== type || !Array.isArray(rel.Ids)) continue;
    for (const id of rel.Ids as unknown[]) if (typeof id === 'string') out.push(id);
  }
  return out;
};

const pageNumberOf = (block: Block): number | undefined =>
  typeof block.Page === 'number' && Number.isInteger(block.Page) && block.Page >= 1 ? block.Page : undefined;

const hasEntityType = (block: Block, type: string): boolean =>
  Array.isArray(block.EntityTypes) && block.EntityTypes.some((t) => t === type);

interface Index {
  readonly byId: ReadonlyMap<string, Block>;
  readonly ofType: (type: string) => Block[];
}

const indexBlocks = (blocks: readonly unknown[]): Index => {
  const byId = new Map<string, Block>();
  const byType = new Map<string, Block[]>();
  for (const raw of blocks) {
    if (!isBlock(raw)) continue;
    // Ids are unique within one job; if one repeats, the first block keeps it.
    if (typeof raw.Id === 'string' && !byId.has(raw.Id)) byId.set(raw.Id, raw);
    if (typeof raw.BlockType !== 'string') continue;
    let list = byType.get(raw.BlockType);
    if (list === undefined) {
      list = [];
      byType.set(raw.BlockType, list);
    }
    list.push(raw);
  }
  return { byId, ofType: (type) => byType.get(type) ?? [] };
};

const childrenOfType = (index: Index, block: Block, type: string): Block[] =>
  related(block, 'CHILD')
    .map((id) => index.byId.get(id))
    .filter((b): b is Block => b !== undefined && b.BlockType === type);

const toWord = (block: Block): Word | undefined => {
  const text = textOf(block);
  return text === '' ? undefined : { text, confidence: confidenceOf(block), box: boxOf(block) };
};

/**
 * A line from a LINE block: its CHILD words joined with spaces (as the local engines build a
 * line). When the words are missing, Textract's own line text stands in, with no words.
 */
const toLine = (index: Index, block: Block): Line | undefined => {
  const words = childrenOfType(index, block, 'WORD')
    .map(toWord)
    .filter((w): w is Word => w !== undefined);
  const text = words.length > 0 ? words.map((w) => w.text).join(' ') : textOf(block);
  if (text === '') return undefined;
  const confidence =
    typeof block.Confidence === 'number'
      ? confidenceOf(block)
      : words.reduce((sum, w) => sum + w.confidence, 0) / Math.max(1, words.length);
  return { text, confidence, box: boxOf(block), words };
};

/** Mean word confidence weighted by word length; a line without words counts with its own. */
const pageConfidence = (lines: readonly Line[]): number => {
  let weighted = 0;
  let characters = 0;
  for (const line of lines) {
    const parts = line.words.length > 0 ? line.words : [line];
    for (const part of parts) {
      weighted += part.confidence * part.text.length;
      characters += part.text.length;
    }
  }
  return characters === 0 ? 0 : weighted / characters;
};

/** The text a KEY or VALUE block holds: its CHILD words, and its selection elements as SELECTED / NOT_SELECTED. */
const formText = (index: Index, block: Block): string =>
  related(block, 'CHILD')
    .map((id) => index.byId.get(id))
    .map((child) => {
      if (child?.BlockType === 'WORD') return textOf(child);
      if (child?.BlockType === 'SELECTION_ELEMENT') {
        return child.SelectionStatus === 'SELECTED' || child.SelectionStatus === 'NOT_SELECTED' ? child.SelectionStatus : '';
      }
      return '';
    })
    .filter((t) => t !== '')
    .join(' ');

/** Orders items by page, keeping response order within a page. */
const byPage = <T extends { readonly page: number }>(items: readonly T[]): T[] =>
  items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => a.item.page - b.item.page || a.i - b.i)
    .map(({ item }) => item);

const malformed = (what: string): DependencyUnavailableError =>
  new DependencyUnavailableError(`textract returned a malformed document analysis: ${what}`);

export const extractionFromTextract = (input: TextractExtractionInput): Extraction => {
  // Typed as Block[], but it is a service's JSON: check it is a list before trusting it.
  const rawBlocks: unknown = input.blocks;
  if (!Array.isArray(rawBlocks)) throw malformed('Blocks is not a list');
  const index = indexBlocks(rawBlocks as unknown[]);

  const pageBlocks = index.ofType('PAGE');

  // Synchronous-style responses carry no Page field: the n-th PAGE block is page n.
  const pageOf = new Map<number, Block>();
  pageBlocks.forEach((block, i) => {
    const n = pageNumberOf(block) ?? i + 1;
    if (n <= TEXTRACT_MAX_PAGES && !pageOf.has(n)) pageOf.set(n, block);
  });
  if (pageOf.size === 0) throw malformed(pageBlocks.length === 0 ? 'no PAGE block' : 'no PAGE block with a usable page number');
  const declared = Number.isInteger(input.pages) && input.pages > 0 ? Math.min(input.pages, TEXTRACT_MAX_PAGES) : 0;
  const pageCount = Math.max(declared, ...pageOf.keys());

  /** The page a block is on: its own Page, else the one page there is; undefined when unknowable. */
  const fallbackPage = pageCount === 1 ? 1 : undefined;
  const pageFor = (block: Block, ...others: (Block | undefined)[]): number | undefined => {
    for (const b of [block, ...others]) {
      const n = b === undefined ? undefined : pageNumberOf(b);
      if (n !== undefined && n <= pageCount) return n;
    }
    return fallbackPage;
  };

  // Lines: first in the order each PAGE lists them, then any LINE no PAGE lists, by its Page.
  const linesByPage = new Map<number, Block[]>();
  const placed = new Set<Block>();
  for (const [n, pageBlock] of pageOf) {
    const lines = childrenOfType(index, pageBlock, 'LINE').filter((line) => !placed.has(line));
    for (const line of lines) placed.add(line);
    linesByPage.set(n, lines);
  }
  for (const line of index.ofType('LINE')) {
    if (placed.has(line)) continue;
    const n = pageFor(line);
    if (n === undefined) continue;
    placed.add(line);
    const list = linesByPage.get(n) ?? [];
    list.push(line);
    linesByPage.set(n, list);
  }

  const pages: PageText[] = [];
  for (let n = 1; n <= pageCount; n++) {
    const size = input.pageSizes?.[n - 1];
    const known = size !== undefined && finite(size.width) > 0 && finite(size.height) > 0;
    const width = known ? size.width : 1;
    const height = known ? size.height : 1;
    const lines = (linesByPage.get(n) ?? []).map((block) => toLine(index, block)).filter((l): l is Line => l !== undefined);
    pages.push({
      page: n,
      method: 'ocr',
      text: lines.map((l) => l.text).join('\n'),
      confidence: round3(pageConfidence(lines)),
      width,
      height,
      lines,
      ...(pageOf.has(n) ? {} : { note: TEXTRACT_PAGE_MISSING }),
    });
  }

  const keyValues: KeyValue[] = [];
  for (const key of index.ofType('KEY_VALUE_SET')) {
    if (!hasEntityType(key, 'KEY')) continue;
    const keyText = formText(index, key);
    if (keyText === '') continue;
    const values = related(key, 'VALUE')
      .map((id) => index.byId.get(id))
      .filter((b): b is Block => b !== undefined && b.BlockType === 'KEY_VALUE_SET');
    const value = values.map((v) => formText(index, v)).filter((t) => t !== '');
    const page = pageFor(key, ...values);
    if (page === undefined) continue;
    const first = values[0];
    keyValues.push({
      page,
      key: keyText,
      value: value.join(' '),
      // Textract gives KEY and VALUE the same confidence: they are judged as a pair.
      confidence: confidenceOf(key),
      keyBox: boxOf(key),
      valueBox: first !== undefined && hasBox(first) ? boxOf(first) : null,
    });
  }

  const queries = index.ofType('QUERY');
  const queryAnswers: QueryAnswer[] = [];
  for (const query of queries) {
    const question = typeof query.Query?.Text === 'string' ? query.Query.Text : '';
    if (question === '') continue;
    const alias = typeof query.Query?.Alias === 'string' && query.Query.Alias !== '' ? query.Query.Alias : question;
    for (const id of related(query, 'ANSWER')) {
      const result = index.byId.get(id);
      if (result?.BlockType !== 'QUERY_RESULT') continue;
      const answer = textOf(result);
      if (answer === '') continue;
      const page = pageFor(result, query);
      if (page === undefined) continue;
      queryAnswers.push({
        page,
        alias,
        question,
        answer,
        confidence: confidenceOf(result),
        box: hasBox(result) ? boxOf(result) : null,
      });
    }
  }

  const characters = pages.reduce((sum, p) => sum + p.text.length, 0);
  const confidence = characters === 0 ? 0 : pages.reduce((sum, p) => sum + p.confidence * p.text.length, 0) / characters;
  const provenance: Provenance = {
    engine: TEXTRACT_MAPPING_ENGINE,
    engineVersion: TEXTRACT_MAPPING_VERSION,
    ocrEngine: TEXTRACT_OCR_ENGINE,
    ...(input.modelVersion === undefined ? {} : { ocrEngineVersion: input.modelVersion }),
    ...(input.startedAt === undefined ? {} : { startedAt: input.startedAt }),
    ...(input.durationMs === undefined ? {} : { durationMs: input.durationMs }),
  };

  return {
    mediaType: input.mediaType,
    pages,
    text: pages.map((p) => p.text).join('\f'),
    confidence: round3(confidence),
    keyValues: byPage(keyValues),
    // Absent when nothing was asked (no QUERY block); empty when questions found no answer.
    ...(queries.length === 0 ? {} : { queryAnswers: byPage(queryAnswers) }),
    provenance,
  };
};
