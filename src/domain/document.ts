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

export interface PageText {
  /** 1-based page number. */
  readonly page: number;
  readonly method: ExtractionMethod;
  readonly text: string;
  /** Mean engine confidence in [0, 1]; 1 for a text layer. */
  readonly confidence: number;
  /** Page size in PDF points (PDF) or pixels (images). */
  readonly width: number;
  readonly height: number;
}

export interface Extraction {
  readonly mediaType: MediaType;
  readonly pages: readonly PageText[];
  /** All pages' text joined with form feeds. */
  readonly text: string;
  /** Mean confidence over pages, weighted by text length. */
  readonly confidence: number;
  readonly provenance: { readonly engine: string; readonly ocrEngine?: string };
}

export interface Classification {
  readonly documentClass: string;
  /** In [0, 1]. */
  readonly confidence: number;
  readonly classifier: string;
  /** Top alternatives, best first, including the winner. */
  readonly alternatives: readonly { readonly documentClass: string; readonly score: number }[];
}

export type FieldValue = string | number;

export interface ExtractedField {
  readonly name: string;
  readonly type: 'text' | 'amount' | 'date' | 'iban' | 'number';
  readonly value: FieldValue;
  readonly confidence: number;
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
}
