import { describe, expect, it } from 'vitest';
import type { FieldSpec } from '../../../../src/config/field-spec.js';
import { extractFields, missingRequiredFields } from '../../../../src/domain/extract-fields.js';
import { MATCH_QUALITY } from '../../../../src/domain/fields/locate.js';
import { CHAR_WIDTH, LINE_HEIGHT, field, page, row, textOnly } from './helpers.js';

const total = (extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name: 'total',
  type: 'amount',
  locators: [{ label: ['total'], exclude: ['sub total', 'subtotal'] }],
  ...extra,
});

describe('label locator, with word geometry', () => {
  it('takes the value right of the label, even when OCR put it in another line far right', () => {
    const doc = page([row('TOTAL:', 0.05, 0.5, 0.8), row('RM 9.00', 0.7, 0.503, 0.9)]);
    const f = field(doc, total());
    expect(f?.value).toBe(9);
    expect(f?.currency).toBe('MYR');
    expect(f?.source?.locator).toBe('label-right');
    expect(f?.source?.page).toBe(1);
    // The source box is the value's words: "RM" and "9.00".
    expect(f?.source?.box.left).toBeCloseTo(0.7);
    expect(f?.source?.box.width).toBeCloseTo(7 * CHAR_WIDTH);
    expect(f?.confidence).toBeCloseTo(MATCH_QUALITY['label-right'] * 0.9, 3);
  });

  it('does not take a value from the row above or below', () => {
    const doc = page([row('TOTAL', 0.05, 0.5), row('5.00', 0.7, 0.5 - LINE_HEIGHT), row('7.00', 0.7, 0.5 + LINE_HEIGHT * 1.2)]);
    // Nothing on the row; below the label there is nothing either (7.00 is right of it, not under it).
    expect(field(doc, total({ locators: [{ label: ['total'], direction: 'right' }] }))).toBeUndefined();
  });

  it('takes the value below the label when nothing is to its right', () => {
    const doc = page([
      row('Invoice No.', 0.1, 0.2),
      row('Date', 0.5, 0.2),
      row('INV-77', 0.1, 0.225),
      row('12/03/2026', 0.5, 0.225),
      row('X-99', 0.1, 0.4),
    ]);
    const id = field(doc, { name: 'invoice_number', type: 'id', locators: [{ label: ['invoice no'] }] });
    expect(id?.value).toBe('INV-77');
    expect(id?.source?.locator).toBe('label-below');
    const date = field(doc, { name: 'date', type: 'date', locators: [{ label: ['date'], direction: 'below' }] });
    expect(date?.value).toBe('2026-03-12');
  });

  it('takes the value below only from under the label, not from a neighbouring column', () => {
    const doc = page([row('Date', 0.1, 0.2), row('Ref: 12/03/2026', 0.4, 0.225)]);
    expect(field(doc, { name: 'date', type: 'date', locators: [{ label: ['date'], direction: 'below' }] })).toBeUndefined();
  });

  it('skips labels inside excluded phrases: SUB TOTAL, SUBTOTAL, SUB-TOTAL', () => {
    const doc = page([
      row('SUB TOTAL 100.00', 0.05, 0.3),
      row('SUB-TOTAL 100.00', 0.05, 0.35),
      row('SUBTOTAL 100.00', 0.05, 0.4),
      row('TOTAL 106.00', 0.05, 0.45),
      row('TOTAL QTY 3', 0.05, 0.5),
    ]);
    expect(field(doc, total({ locators: [{ label: ['total'], exclude: ['sub total', 'total qty'] }], pick: 'last' }))?.value).toBe(106);
  });

  it('matches labels whatever their case and punctuation, and inside words run together', () => {
    const doc = page([row('invoice no.: A-1', 0.1, 0.1), row('TOTAL:9.00', 0.1, 0.2), row('Facture n°562044387', 0.1, 0.3)]);
    expect(field(doc, { name: 'n', type: 'id', locators: [{ label: ['Invoice No'] }] })?.value).toBe('A-1');
    expect(field(doc, total())?.value).toBe(9);
    expect(field(doc, { name: 'f', type: 'id', locators: [{ label: ['facture n'] }] })?.value).toBe('562044387');
  });

  it('prefers an amount written with decimals to a quantity on the same row', () => {
    const doc = page([row('TOTAL 3 items', 0.05, 0.5), row('27.50', 0.7, 0.5)]);
    expect(field(doc, total())?.value).toBe(27.5);
  });

  it('works the same on a PDF text layer, where every word has confidence 1', () => {
    const doc = page([row('Total Due:', 0.6, 0.7, 1), row('EUR 1,250.00', 0.8, 0.7, 1)], 'text-layer');
    const f = field(doc, { name: 'total', type: 'amount', locators: [{ label: ['total due'] }] });
    expect(f).toMatchObject({ value: 1250, currency: 'EUR', confidence: MATCH_QUALITY['label-right'] });
  });
});

describe('label locator, without geometry (text-only extractions)', () => {
  it('reads right of the label on its line, else the next line', () => {
    expect(field(textOnly('Total: 12.50'), total())?.value).toBe(12.5);
    expect(field(textOnly('Invoice Date:\n03/20/2023'), { name: 'd', type: 'date', locators: [{ label: ['invoice date'] }] })?.value).toBe(
      '2023-03-20',
    );
  });

  it('has no source box', () => {
    expect(field(textOnly('Total: 12.50'), total())).not.toHaveProperty('source');
  });
});

describe('amounts found next to a label', () => {
  it.each([
    ['Total 1.234,56', 1234.56],
    ['Total 1,234.56', 1234.56],
    ['Total 1 234,56', 1234.56],
    ["Total 1'234.50", 1234.5],
    ['Total € 48.900,00', 48900],
    ['Total 29.99 €', 29.99],
    ['Total -9,32', -9.32],
    ['Total 3 900.00', 900],
  ])('%j → %d', (text, expected) => {
    expect(field(textOnly(text), total())?.value).toBe(expected);
  });

  it('uses the decimal hint for one separator followed by three digits', () => {
    expect(field(textOnly('Total 9.000'), total({ hints: { decimal: '.' } }))?.value).toBe(9);
    expect(field(textOnly('Total 9.000'), total())?.value).toBe(9000);
  });

  it.each([
    ['Total $ 279.84', 'USD'],
    ['Total 29.99 €', 'EUR'],
    ['Total (RM) 9.00', 'MYR'],
    ['Total 9.00', undefined],
  ])('records the currency of %j', (text, currency) => {
    expect(field(textOnly(text), total())?.currency).toBe(currency);
  });

  it('does not read dates, times or percentages as amounts', () => {
    expect(field(textOnly('Total 25/12/2018 8:13 6%'), total())).toBeUndefined();
  });
});

describe('dates with hints', () => {
  const date = (hints: FieldSpec['hints'] = {}): FieldSpec => ({ name: 'date', type: 'date', hints, locators: [{ label: ['date'] }] });

  it('reads numeric dates in the hinted order', () => {
    expect(field(textOnly('Date: 03/04/2026'), date({ dateOrder: 'DMY' }))?.value).toBe('2026-04-03');
    expect(field(textOnly('Date: 03/04/2026'), date({ dateOrder: 'MDY' }))?.value).toBe('2026-03-04');
  });

  it.each([
    ['Date: 25/12/2018 8:13:39 PM', '2018-12-25'],
    ['Date: 25-12-18', '2018-12-25'],
    ['Date: 25 DEC 2018', '2018-12-25'],
    ['Date 24-MAR-2018 10:52', '2018-03-24'],
    ['DATE: 18-10- 17 15:16', '2017-10-18'],
    ['Date: Jan 1, 2022', '2022-01-01'],
    ['Date: 2018-03-23', '2018-03-23'],
  ])('finds the date in %j', (text, expected) => {
    expect(field(textOnly(text), date({ dateOrder: 'DMY' }))?.value).toBe(expected);
  });

  it('drops dates outside the hinted years, and repairs a year OCR read with a 7 for a 1', () => {
    const years = { min: 1990, max: 2049 };
    expect(field(textOnly('Date: 12/03/1890'), date({ years }))).toBeUndefined();
    const repaired = field(textOnly('Date: 22/03/2078'), date({ years }));
    expect(repaired?.value).toBe('2018-03-22');
    // A repaired value is less certain than a clean one.
    expect(repaired?.confidence).toBeLessThan(field(textOnly('Date: 22/03/2018'), date({ years }))?.confidence ?? 0);
  });
});

describe('IBAN, BIC, email, phone and ids', () => {
  const iban: FieldSpec = { name: 'iban', type: 'iban', locators: [{ label: ['iban'] }] };

  it('reads an IBAN and checks it with mod-97', () => {
    const valid = field(textOnly('IBAN: DE89 3704 0044 0532 0130 00'), iban);
    expect(valid?.value).toBe('DE89370400440532013000');
    const invalid = field(textOnly('IBAN: DE89 3704 0044 0532 0130 01'), iban);
    // Kept for the iban-checksum rule, at half the confidence.
    expect(invalid?.value).toBe('DE89370400440532013001');
    expect(invalid?.confidence).toBeCloseTo((valid?.confidence ?? 0) / 2, 3);
  });

  it('cuts a word that sticks to the IBAN off again, using the checksum', () => {
    expect(field(textOnly('IBAN: BE68 5390 0754 7034 BIC GEBABEBB'), iban)?.value).toBe('BE68539007547034');
    expect(field(textOnly('NL50INGB0683251309IBAN'), { ...iban, locators: [{ pattern: '(NL\\w+)' }] })?.value).toBe(
      'NL50INGB0683251309IBAN',
    );
    expect(field(textOnly('IBAN NL50INGB0683251309BIC'), iban)?.value).toBe('NL50INGB0683251309');
  });

  it('reads a BIC with a known country, and nothing else', () => {
    const bic: FieldSpec = { name: 'bic', type: 'bic', locators: [{ label: ['bic', 'swift'] }] };
    expect(field(textOnly('BIC: INGBNL2A'), bic)?.value).toBe('INGBNL2A');
    expect(field(textOnly('SWIFT DEUTDEFF500'), bic)?.value).toBe('DEUTDEFF500');
    expect(field(textOnly('BIC: XXXXQQ2A'), bic)).toBeUndefined();
  });

  it('reads emails, phones and ids', () => {
    const doc = textOnly('Contact: Sales@Example.COM\nTel: +60 3-4021 1233\nOrder ref: PO-2024/118 (urgent)');
    expect(field(doc, { name: 'email', type: 'email', locators: [{ label: ['contact'] }] })?.value).toBe('sales@example.com');
    expect(field(doc, { name: 'phone', type: 'phone', locators: [{ label: ['tel'] }] })?.value).toBe('+60340211233');
    expect(field(doc, { name: 'ref', type: 'id', locators: [{ label: ['order ref'] }] })?.value).toBe('PO-2024/118');
  });

  it('does not take a word without digits for an id', () => {
    expect(field(textOnly('Invoice notes: none'), { name: 'n', type: 'id', locators: [{ label: ['invoice'] }] })).toBeUndefined();
  });
});

describe('position, pattern, block and currency locators', () => {
  const receipt = page([
    row('3180303', 0.1, 0.02),
    row('TAX INVOICE', 0.3, 0.05),
    row('GL HANDICRAFT & TAILORING', 0.2, 0.08),
    row('(75495-W)', 0.35, 0.1),
    row('19, JALAN KANCIL,', 0.3, 0.12),
    row('55100 KUALA LUMPUR', 0.3, 0.14),
    row('TEL: 03-1234 5678', 0.3, 0.16),
    row('DATE: 20/03/2018', 0.1, 0.2),
  ]);
  const company: FieldSpec = {
    name: 'company',
    type: 'text',
    locators: [{ position: { region: 'top', maxLines: 4 }, skip: ['invoice', '^\\W*\\d+\\W*$'] }],
  };
  const address: FieldSpec = {
    name: 'address',
    type: 'text',
    locators: [{ block: { after: 'company', start: '\\d', skip: ['^\\W*\\(?\\d+-[a-z]\\)?\\W*$'], stop: ['\\btel\\b'], maxLines: 4 } }],
  };

  it('position: the first line of the region that is not skipped', () => {
    const f = field(receipt, company);
    expect(f?.value).toBe('GL HANDICRAFT & TAILORING');
    expect(f?.source?.locator).toBe('position');
    expect(f?.confidence).toBeCloseTo(MATCH_QUALITY.position * 0.9, 3);
  });

  it('block: the lines after another field, skipping and stopping as told', () => {
    const f = field(receipt, address, [company]);
    expect(f?.value).toBe('19, JALAN KANCIL, 55100 KUALA LUMPUR');
    expect(f?.source?.locator).toBe('block');
    expect(f?.source?.box.top).toBeCloseTo(0.12);
  });

  it('block: nothing when the field it follows was not found', () => {
    expect(field(receipt, address)).toBeUndefined();
  });

  it('block: follows the anchor down the page even when lines come out of order', () => {
    const shuffled = page([row('19, JALAN KANCIL,', 0.3, 0.12), row('55100 KUALA LUMPUR', 0.3, 0.14), row('GL HANDICRAFT', 0.3, 0.08)]);
    expect(field(shuffled, address, [company])?.value).toBe('19, JALAN KANCIL, 55100 KUALA LUMPUR');
  });

  it('pattern within a position: only the region is searched', () => {
    const spec: FieldSpec = {
      name: 'n',
      type: 'text',
      locators: [{ pattern: '^(?<value>.*kuala.*)$', position: { region: 'top', maxLines: 3 } }],
    };
    expect(field(receipt, spec)).toBeUndefined();
    expect(
      field(receipt, { ...spec, locators: [{ pattern: '^(?<value>.*kuala.*)$', position: { region: 'top', maxLines: 8 } }] })?.value,
    ).toBe('55100 KUALA LUMPUR');
  });

  it('pattern: the source box covers the captured words only', () => {
    const f = field(receipt, { name: 'd', type: 'date', locators: [{ pattern: 'date:\\s*(\\S+)' }] });
    expect(f?.value).toBe('2018-03-20');
    expect(f?.source).toEqual({ page: 1, box: expect.objectContaining({ left: 0.1 + 6 * CHAR_WIDTH, top: 0.2 }), locator: 'pattern' });
  });

  it('currencyOf: the currency written next to an amount field found before', () => {
    const doc = textOnly('Total: € 49,99');
    const currency: FieldSpec = { name: 'currency', type: 'text', locators: [{ currencyOf: 'total' }] };
    expect(field(doc, currency, [total()])?.value).toBe('EUR');
    expect(field(doc, currency)).toBeUndefined();
  });

  it('region bottom: the last lines of the last page', () => {
    expect(field(receipt, { name: 'd', type: 'date', locators: [{ position: { region: 'bottom', maxLines: 1 } }] })?.value).toBe(
      '2018-03-20',
    );
  });
});

describe('choosing among values', () => {
  const doc = page([
    row('TOTAL 11.60', 0.05, 0.3),
    row('TOTAL INCL. GST 23.26', 0.05, 0.35),
    row('ROUNDING ADJ -0.01', 0.05, 0.4),
    row('TOTAL 23.25', 0.05, 0.45),
    row('CHANGE 0.00', 0.05, 0.5),
    row('GST SUMMARY', 0.05, 0.55),
    row('TOTAL 21.94', 0.05, 0.6),
  ]);

  it('first, last and largest, in reading order', () => {
    expect(field(doc, total({ pick: 'first' }))?.value).toBe(11.6);
    expect(field(doc, total({ pick: 'last' }))?.value).toBe(21.94);
    expect(field(doc, total({ pick: 'largest' }))?.value).toBe(23.26);
  });

  it('a rounding unit moves from an unrounded total to the rounded one after it', () => {
    expect(field(doc, total({ pick: 'largest', hints: { rounding: 0.05 } }))?.value).toBe(23.25);
  });

  it('until: labels below the first "change" are not searched', () => {
    expect(field(doc, total({ pick: 'last', locators: [{ label: ['total'], until: ['change'] }] }))?.value).toBe(23.25);
  });

  it('prefer: values of the more specific labels win', () => {
    expect(field(doc, total({ pick: 'last', locators: [{ label: ['total'], prefer: ['total incl'] }] }))?.value).toBe(23.26);
  });

  it('locators are tried in order: a later one only when the earlier ones find nothing', () => {
    const spec = total({ locators: [{ label: ['grand total'] }, { label: ['total'] }], pick: 'first' });
    expect(field(doc, spec)?.value).toBe(11.6);
    expect(field(doc, spec)?.source?.locator).toBe('label-right');
  });
});

describe('the original pattern specs', () => {
  it('still work alone, over the text when there are no lines and over the lines when there are', () => {
    const spec: FieldSpec = { name: 'ref', type: 'number', pattern: 'ref\\s+(\\S+)' };
    expect(field(textOnly('ref abc\nref 42'), spec)?.value).toBe(42);
    const f = field(page([row('ref abc', 0.1, 0.1), row('ref 42', 0.1, 0.2)]), spec);
    expect(f?.value).toBe(42);
    expect(f?.source?.box.top).toBeCloseTo(0.2);
  });
});

describe('missingRequiredFields', () => {
  it('lists required fields the set lacks', () => {
    const specs: FieldSpec[] = [total({ required: true }), { name: 'date', type: 'date', required: true, pattern: 'date (\\S+)' }];
    const set = extractFields(textOnly('Total 9.00'), 'doc', { doc: specs });
    expect(missingRequiredFields(specs, set)).toEqual(['date']);
  });
});
