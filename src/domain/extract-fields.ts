import type { ExtractedField, Extraction, FieldSet, FieldValue } from './document.js';
import { normalizeIban, parseAmount, parseDate } from './normalize.js';
import type { FieldSpec } from '../config/schema.js';

const normalise = (type: FieldSpec['type'], raw: string): FieldValue | null => {
  switch (type) {
    case 'amount':
      return parseAmount(raw);
    case 'number': {
      const n = parseAmount(raw);
      return n;
    }
    case 'date':
      return parseDate(raw);
    case 'iban':
      return normalizeIban(raw);
    case 'text':
      return raw.trim() || null;
  }
};

/**
 * Regex fields from config, per document class. The first match that normalises wins; a field
 * that is absent or does not normalise is simply missing (rules decide what missing means).
 */
export const extractFields = (
  extraction: Extraction,
  documentClass: string,
  specs: Readonly<Record<string, readonly FieldSpec[]>>,
): FieldSet => {
  const fields: Record<string, ExtractedField> = {};
  for (const spec of specs[documentClass] ?? []) {
    const re = new RegExp(spec.pattern, 'gimu');
    for (const match of extraction.text.matchAll(re)) {
      const raw = match.groups?.['value'] ?? match[1] ?? match[0];
      const value = normalise(spec.type, raw);
      if (value === null) continue;
      fields[spec.name] = { name: spec.name, type: spec.type, value, confidence: Math.round(extraction.confidence * 1000) / 1000 };
      break;
    }
  }
  return { documentClass, fields };
};
