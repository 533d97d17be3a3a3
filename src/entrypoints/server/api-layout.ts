import type { BoundingBox, Extraction, FieldSet } from '../../domain/document.js';
import type { CheckpointKey } from '../../ports/checkpoints.js';
import type { DecisionRecord } from '../../ports/decisions.js';

/**
 * A document's layout for the review screen, from the exact checkpoints its current decision was
 * computed from: each page's size, the word boxes of its text layer or OCR, and the extracted
 * fields' boxes. Only geometry, names and confidences: no word text and no field value leaves
 * here (the detail endpoint shows values, masking the sensitive ones).
 */

export interface LayoutPage {
  readonly page: number;
  readonly width: number;
  readonly height: number;
  readonly unit: 'pt' | 'px';
  readonly rotation: number;
  readonly method: 'text-layer' | 'ocr';
  readonly words: readonly { readonly box: BoundingBox; readonly confidence: number }[];
  readonly fields: readonly {
    readonly name: string;
    readonly box: BoundingBox;
    readonly confidence: number;
    readonly sensitive: boolean;
    readonly locator: string;
  }[];
}

export interface DocumentLayout {
  readonly documentId: string;
  readonly mediaType: string;
  readonly pageCount: number;
  readonly pages: readonly LayoutPage[];
}

export const buildLayout = (input: {
  readonly documentId: string;
  readonly extraction: Extraction;
  readonly fieldSet: FieldSet | null;
  readonly sensitiveFields: ReadonlySet<string>;
  /** Only this page; all pages when absent. */
  readonly page?: number;
}): DocumentLayout => {
  const { extraction, fieldSet } = input;
  const unit = extraction.mediaType === 'application/pdf' ? 'pt' : 'px';
  const fields = Object.values(fieldSet?.fields ?? {}).flatMap((f) =>
    f.source
      ? [
          {
            page: f.source.page,
            name: f.name,
            box: f.source.box,
            confidence: f.confidence,
            sensitive: input.sensitiveFields.has(f.name),
            locator: f.source.locator,
          },
        ]
      : [],
  );
  const pages = extraction.pages
    .filter((p) => input.page === undefined || p.page === input.page)
    .map((p): LayoutPage => ({
      page: p.page,
      width: p.width,
      height: p.height,
      unit,
      rotation: p.rotation ?? 0,
      method: p.method,
      words: (p.lines ?? []).flatMap((l) => l.words.map((w) => ({ box: w.box, confidence: w.confidence }))),
      fields: fields.filter((f) => f.page === p.page).map(({ page: _p, ...f }) => f),
    }));
  return { documentId: input.documentId, mediaType: extraction.mediaType, pageCount: extraction.pages.length, pages };
};

/** What `loadLayout` reads: the store's route, decision chain and checkpoints. */
export interface LayoutSource {
  getRoute(documentId: string): Promise<{ readonly version: number } | null>;
  decisions(documentId: string): Promise<readonly DecisionRecord[]>;
  get<T>(key: CheckpointKey): Promise<T | undefined>;
}

/**
 * A LayoutSource over the store's routes and decisions and the runtime's checkpoints (which
 * decrypt when encryption at rest is on, where the store's own `get` would return sealed values).
 */
export const layoutSourceOf = (store: Omit<LayoutSource, 'get'>, checkpoints: Pick<LayoutSource, 'get'>): LayoutSource => ({
  getRoute: (documentId) => store.getRoute(documentId),
  decisions: (documentId) => store.decisions(documentId),
  get: <T>(key: CheckpointKey) => checkpoints.get<T>(key),
});

/**
 * The layout of a document's current decision, from the Extract and ExtractFields checkpoints that
 * decision names (`decision.steps`); null when it has none (not routed yet, or never extracted).
 */
export const loadLayout = async (
  store: LayoutSource,
  documentId: string,
  sensitiveFields: ReadonlySet<string>,
  page?: number,
): Promise<DocumentLayout | null> => {
  const route = await store.getRoute(documentId);
  if (!route) return null;
  const current = (await store.decisions(documentId)).find((d) => d.version === route.version);
  const steps = current?.steps;
  const extractKey = steps?.['Extract'];
  if (!steps || !extractKey) return null;
  const extraction = await store.get<Extraction>({ documentId, step: 'Extract', configVersion: extractKey });
  if (!extraction) return null;
  const fieldsKey = steps['ExtractFields'];
  const fieldSet = fieldsKey
    ? ((await store.get<FieldSet>({ documentId, step: 'ExtractFields', configVersion: fieldsKey })) ?? null)
    : null;
  return buildLayout({ documentId, extraction, fieldSet, sensitiveFields, ...(page !== undefined ? { page } : {}) });
};
