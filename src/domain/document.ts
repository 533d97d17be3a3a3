/**
 * The document model shared by every step. Heavy data (text, pages) lives in checkpoints; the state
 * machine only carries ids and small summaries, so payloads stay far below Step Functions' 256 KB.
 */

/** A document's id: the lowercase hex SHA-256 of its bytes. */
export type DocumentId = string;

export const DOCUMENT_ID_PATTERN = /^[0-9a-f]{64}$/;

export type Outcome = 'pass' | 'hold' | 'reject';
export type FinalOutcome = Outcome | 'failed';

export const OUTCOMES: readonly Outcome[] = ['pass', 'hold', 'reject'];

/** Media types the Extract step understands. Sniffed from bytes, never from the file name. */
export type MediaType = 'application/pdf' | 'image/png' | 'image/jpeg' | 'image/tiff' | 'image/webp' | 'image/bmp';

export type ExtractionMethod = 'text-layer' | 'ocr';

/**
 * The extraction model. Shaped so that Amazon Textract's AnalyzeDocument output maps onto it
 * without loss: PAGE → Page, LINE → Line, WORD → Word (a line's CHILD relationships become its
 * `words`), KEY_VALUE_SET pairs → KeyValue, QUERY/QUERY_RESULT → QueryAnswer. Geometry is
 * Textract's BoundingBox: fractions of the page's width and height, origin top-left, in the page's
 * upright orientation (after rotation). Confidences are in [0, 1] (Textract's 0–100 divided by 100).
 */
export interface BoundingBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface Word {
  readonly text: string;
  readonly confidence: number;
  readonly box: BoundingBox;
}

export interface Line {
  readonly text: string;
  readonly confidence: number;
  readonly box: BoundingBox;
  readonly words: readonly Word[];
}

export interface KeyValue {
  readonly page: number;
  readonly key: string;
  readonly value: string;
  readonly confidence: number;
  readonly keyBox: BoundingBox;
  readonly valueBox: BoundingBox | null;
}

export interface QueryAnswer {
  readonly page: number;
  /** The query's alias (Textract `Alias`), e.g. the field name it was asked for. */
  readonly alias: string;
  readonly question: string;
  readonly answer: string;
  readonly confidence: number;
  readonly box: BoundingBox | null;
}

export interface PageText {
  /** 1-based page number. */
  readonly page: number;
  readonly method: ExtractionMethod;
  readonly text: string;
  /** Mean confidence in [0, 1]; 1 for a real text layer. */
  readonly confidence: number;
  /** Page size in PDF points (PDF) or pixels (images), upright. */
  readonly width: number;
  readonly height: number;
  /** Clockwise rotation applied to make the page upright (PDF /Rotate, or detected for scans). */
  readonly rotation?: 0 | 90 | 180 | 270;
  /** The raster resolution OCR ran at (absent for text layers). */
  readonly dpi?: number;
  /** Lines in reading order with their words; empty when the engine gave no geometry. */
  readonly lines?: readonly Line[];
  /** Why a text layer was not used (e.g. GARBAGE_TEXT_LAYER), for the audit of "why OCR". */
  readonly note?: string;
}

export interface Provenance {
  readonly engine: string;
  readonly engineVersion?: string;
  readonly ocrEngine?: string;
  readonly ocrEngineVersion?: string;
  readonly dpi?: number;
  /** ISO-8601 time the extraction started. */
  readonly startedAt?: string;
  readonly durationMs?: number;
}

export interface Extraction {
  readonly mediaType: MediaType;
  readonly pages: readonly PageText[];
  /** All pages' text joined with form feeds. */
  readonly text: string;
  /** Mean confidence over pages, weighted by text length. */
  readonly confidence: number;
  /** Filled on AWS by Textract FORMS; optional locally. */
  readonly keyValues?: readonly KeyValue[];
  /** Filled on AWS by Textract QUERIES; optional locally. */
  readonly queryAnswers?: readonly QueryAnswer[];
  readonly provenance: Provenance;
}

export interface Classification {
  readonly documentClass: string;
  /** In [0, 1]. */
  readonly confidence: number;
  readonly classifier: string;
  /** Top alternatives, best first, including the winner. */
  readonly alternatives: readonly { readonly documentClass: string; readonly score: number }[];
  /** Which model decided: a model file's version for the local model, the model id for an LLM. */
  readonly model?: string;
  /** LLM classifiers: the tokens of the call that answered, for cost accounting. */
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number };
}

export type FieldValue = string | number;

export type FieldType = 'text' | 'amount' | 'date' | 'iban' | 'bic' | 'number' | 'email' | 'phone' | 'id';

export interface ExtractedField {
  readonly name: string;
  readonly type: FieldType;
  readonly value: FieldValue;
  /** OCR confidence combined with match quality, in [0, 1]. */
  readonly confidence: number;
  /** ISO 4217 code for amounts, when found next to the amount. */
  readonly currency?: string;
  /** Where the value was found, when the extraction had geometry. */
  readonly source?: { readonly page: number; readonly box: BoundingBox; readonly locator: string };
}

export interface FieldSet {
  readonly documentClass: string;
  readonly fields: Readonly<Record<string, ExtractedField>>;
}

export type Severity = 'hold' | 'reject';

/** A rule's verdict. Data, never an exception. Never carries a field's value. */
export interface Finding {
  readonly ruleId: string;
  readonly reasonCode: string;
  readonly severity: Severity;
  readonly message: string;
  readonly fields: readonly string[];
}

export interface Reason {
  readonly code: string;
  readonly message: string;
}

export interface Decision {
  readonly outcome: Outcome;
  readonly reasons: readonly Reason[];
  readonly findings: readonly Finding[];
}

/** What a routed document's JSON result holds. Deterministic: no timestamps, so a re-run is byte-identical. */
export interface RouteResult {
  readonly documentId: DocumentId;
  readonly name: string;
  readonly outcome: Outcome;
  readonly documentClass: string | null;
  readonly confidence: number | null;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly findings: readonly Finding[];
  readonly reasons: readonly Reason[];
  readonly configVersion: string;
  /** The ruleset that judged it (a hash of the rules). */
  readonly rulesetVersion: string;
  /** Which classifier decided the class, with its model version or id when it has one. */
  readonly classifier: string | null;
  /** Which decision this is. Absent in records written before decisions were versioned (read as version 1, pipeline). */
  readonly decision?: DecisionInfo;
}

export type DecisionKind = 'pipeline' | 'review' | 'replay';

/** The step a replay starts from: everything before it comes from the cached results. */
export type ReplayFrom = 'classify' | 'extract-fields' | 'validate';

/**
 * A document's decisions form a chain: version 1 is the pipeline's, and each review or replay
 * appends the next version, naming the one it supersedes. Nothing in the chain is ever rewritten.
 */
export interface DecisionInfo {
  readonly version: number;
  readonly kind: DecisionKind;
  /** The decision this one replaces (absent for version 1). */
  readonly supersedes?: { readonly version: number; readonly outcome: Outcome };
  /** Review decisions: who decided, why, and when. */
  readonly reviewer?: string;
  readonly reason?: string;
  readonly decidedAt?: string;
  /** Review decisions: the fields the reviewer corrected (names only), and the field-set version they produced. */
  readonly correctedFields?: readonly string[];
  readonly fieldsVersion?: number;
  /** Replay decisions: the step the replay started from, and the replay's id. */
  readonly replayedFrom?: ReplayFrom;
  readonly replayId?: string;
}
