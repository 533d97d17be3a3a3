import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELDS } from '../../../src/config/defaults.js';
import type { FieldSpec } from '../../../src/config/schema.js';
import type { Extraction } from '../../../src/domain/document.js';
import { extractFields } from '../../../src/domain/extract-fields.js';

const extraction = (text: string, confidence = 1): Extraction => ({
  mediaType: 'application/pdf',
  pages: [{ page: 1, method: 'text-layer', text, confidence, width: 595, height: 842 }],
  text,
  confidence,
  provenance: { engine: 'test' },
});

const values = (text: string, documentClass: string, specs: Readonly<Record<string, readonly FieldSpec[]>> = DEFAULT_FIELDS) =>
  Object.fromEntries(Object.entries(extractFields(extraction(text), documentClass, specs).fields).map(([k, f]) => [k, f.value]));

const NORTHWIND = [
  'INVOICE',
  'Northwind Office Supply GmbH',
  'Invoice No: INV-2026-0412',
  'Invoice Date: 2026-10-03',
  'Due Date: 02.11.2026',
  'Bill To: Example Bank plc',
  'Description            Qty   Amount',
  'Paper A4, 80 g          20   740.00',
  'Net amount: EUR 1,050.42',
  'VAT 19%: EUR 199.58',
  'Total Due: EUR 1,250.00',
  'IBAN: DE89 3704 0044 0532 0130 00',
  'Payment terms: 30 days net',
].join('\n');

describe('extractFields with the default invoice fields', () => {
  it('extracts and normalises every field of a realistic invoice', () => {
    expect(values(NORTHWIND, 'invoice')).toEqual({
      issuer: 'Northwind Office Supply GmbH',
      invoice_number: 'INV-2026-0412',
      date: '2026-10-03',
      due_date: '2026-11-02',
      total: 1250,
      currency: 'EUR',
      iban: 'DE89370400440532013000',
    });
  });

  it('reports each field with its name, type, currency and confidence: match quality times the text confidence (rounded)', () => {
    const set = extractFields(extraction(NORTHWIND, 0.87654), 'invoice', DEFAULT_FIELDS);
    expect(set.documentClass).toBe('invoice');
    // Found right of its label (quality 0.95); a text-only extraction has no boxes, so no source.
    expect(set.fields['total']).toEqual({ name: 'total', type: 'amount', value: 1250, confidence: 0.833, currency: 'EUR' });
    expect(set.fields['iban']?.type).toBe('iban');
  });

  it.each([
    ['Invoice No: INV-2026-0412', 'INV-2026-0412'],
    ['Invoice No.: HFL-88213', 'HFL-88213'],
    ['Invoice Number CCS-1907', 'CCS-1907'],
    ['invoice # 2026/77', '2026/77'],
  ])('reads the invoice number from %j', (line, expected) => {
    expect(values(line, 'invoice')['invoice_number']).toBe(expected);
  });

  it('does not read an invoice number from words that merely start with "no"', () => {
    // A heading followed by a supplier name, and a notes line: neither is an invoice number.
    expect(values('INVOICE\nNordic Paper AB\nInvoice notes: none', 'invoice')).not.toHaveProperty('invoice_number');
  });

  it('reads amounts with EU separators and currency symbols', () => {
    expect(values('Total: € 48.900,00', 'invoice')['total']).toBe(48900);
    expect(values('TOTAL DUE 48,900', 'invoice')['total']).toBe(48900);
  });

  it('reads the total line, not a subtotal above it', () => {
    const text = ['Invoice No: INV-7', 'Subtotal: EUR 1,000.00', 'VAT: EUR 190.00', 'Total Due: USD 1,190.00'].join('\n');
    const v = values(text, 'invoice');
    expect(v['total']).toBe(1190);
    expect(v['currency']).toBe('USD');
  });

  it('reads day-first and month-name dates', () => {
    expect(values('Invoice Date: 03/10/2026', 'invoice')['date']).toBe('2026-10-03');
    expect(values('Invoice date 3 October 2026', 'invoice')['date']).toBe('2026-10-03');
  });

  it('normalises the IBAN without judging it (validity is a rule)', () => {
    // Wrong check digit: still extracted, so the iban-checksum rule can reject it.
    expect(values('iban: de89 3704 0044 0532 0130 01', 'invoice')['iban']).toBe('DE89370400440532013001');
  });

  it('leaves out fields that are absent', () => {
    const v = values('Invoice No: INV-1\nThank you', 'invoice');
    expect(v['invoice_number']).toBe('INV-1');
    for (const absent of ['date', 'due_date', 'total', 'currency', 'iban', 'bic']) expect(v).not.toHaveProperty(absent);
  });

  it('skips an invalid date and takes the next match that normalises', () => {
    const text = 'Invoice Date: 31/02/2026\nInvoice Date: 28/02/2026';
    expect(values(text, 'invoice')['date']).toBe('2026-02-28');
  });

  it('leaves a field missing when no match normalises', () => {
    expect(values('Invoice Date: 31/02/2026', 'invoice')).not.toHaveProperty('date');
  });
});

describe('extractFields with other classes and specs', () => {
  it('uses only the specs of the given class', () => {
    const text = 'Dear Ms Smith,\nTotal: 12.50\nIBAN: DE89 3704 0044 0532 0130 00';
    expect(values(text, 'letter')).toEqual({ salutation: 'Ms Smith' });
    const receipt = values(text, 'receipt');
    expect(receipt['total']).toBe(12.5);
    expect(Object.keys(receipt).every((k) => ['company', 'address', 'date', 'total'].includes(k))).toBe(true);
  });

  it('yields no fields for a class with no specs', () => {
    expect(extractFields(extraction(NORTHWIND), 'unclassified', DEFAULT_FIELDS)).toEqual({ documentClass: 'unclassified', fields: {} });
    expect(extractFields(extraction(NORTHWIND), 'invoice', { invoice: [] }).fields).toEqual({});
  });

  it('takes the first match that normalises, in text order', () => {
    const specs = { memo: [{ name: 'ref', type: 'number', pattern: 'ref\\s+(\\S+)' }] } satisfies Record<string, FieldSpec[]>;
    // "abc" does not normalise as a number; "42" is the first that does, so "7" is never used.
    expect(values('ref abc\nref 42\nref 7', 'memo', specs)).toEqual({ ref: 42 });
  });

  it('prefers the named group `value`, then the first group, then the whole match', () => {
    const specs = {
      memo: [
        { name: 'named', type: 'text', pattern: '(a)-(?<value>b)' },
        { name: 'grouped', type: 'text', pattern: 'c-(d)' },
        { name: 'whole', type: 'text', pattern: 'e-f' },
      ],
    } satisfies Record<string, FieldSpec[]>;
    expect(values('a-b c-d e-f', 'memo', specs)).toEqual({ named: 'b', grouped: 'd', whole: 'e-f' });
  });

  it('treats a blank text match as missing', () => {
    const specs = { memo: [{ name: 'note', type: 'text', pattern: 'note:([ ]*)$' }] } satisfies Record<string, FieldSpec[]>;
    expect(values('note:   ', 'memo', specs)).toEqual({});
  });
});

describe('the default amount pattern', () => {
  it.each([
    ['Total Due: EUR 1,250.00 10 items', 1250],
    ['Total: 9', 9],
    ['Total Due: EUR 1.250,00', 1250],
    ['Total Due: EUR 48,900.00', 48900],
    ['Total Due: 1 250,50 EUR', 1250.5],
    ['Total Due: 1250.00', 1250],
  ])('reads %j as %d without swallowing the next number', (line, want) => {
    expect(values(`INVOICE\nInvoice No: A-100\n${line}`, 'invoice')['total']).toBe(want);
  });
});
