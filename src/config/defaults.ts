import type { DocumentClassSpec, RuleSpec } from './schema.js';

/**
 * The built-in configuration: enough classes, fields and rules for the sample inbox and a
 * sensible start for invoices, receipts, letters and bank statements. A config file that sets
 * `classify.classes`, `fields` or `rules` replaces the matching default wholesale.
 */

export const DEFAULT_CLASSES: DocumentClassSpec[] = [
  {
    name: 'invoice',
    description: 'A supplier invoice requesting payment.',
    keywords: ['invoice', 'invoice no', 'invoice number', 'bill to', 'due date', 'payment terms', 'vat', 'iban', 'total due', 'remit'],
    patterns: ['\\binvoice\\s*(?:no|number|#)', '\\btotal\\s+due\\b'],
    match: 'any',
    fuzzy: 0,
  },
  {
    name: 'receipt',
    description: 'A point-of-sale receipt.',
    keywords: ['receipt', 'cash', 'change', 'subtotal', 'thank you', 'card', 'tax', 'qty'],
    patterns: ['\\bchange\\s+\\d', '\\bthank\\s+you\\s+for\\s+(?:your\\s+)?(?:visit|shopping|purchase)'],
    match: 'any',
    fuzzy: 0,
  },
  {
    name: 'letter',
    description: 'Correspondence addressed to a person.',
    keywords: ['dear', 'sincerely', 'yours', 'regards', 're', 'enclosed', 'faithfully'],
    patterns: ['^\\s*dear\\s+\\w+', '\\byours\\s+(?:sincerely|faithfully|truly)\\b'],
    match: 'any',
    fuzzy: 0,
  },
  {
    name: 'bank_statement',
    description: 'A periodic account statement from a bank.',
    keywords: [
      'statement',
      'account statement',
      'opening balance',
      'closing balance',
      'account number',
      'sort code',
      'transactions',
      'balance',
    ],
    patterns: ['\\b(?:opening|closing)\\s+balance\\b', '\\bstatement\\s+period\\b'],
    match: 'any',
    fuzzy: 0,
  },
];

export { DEFAULT_FIELDS } from './default-fields.js';

export const DEFAULT_RULES: RuleSpec[] = [
  {
    id: 'invoice-total-missing',
    description: 'An invoice must state its total.',
    classes: ['invoice'],
    conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'missing', value: true }] },
    outcome: 'hold',
    reasonCode: 'FIELD_MISSING',
    message: 'The invoice total was not found.',
    fields: ['total'],
  },
  {
    id: 'invoice-number-missing',
    description: 'An invoice must carry an invoice number.',
    classes: ['invoice'],
    conditions: { all: [{ fact: 'fields', path: '$.invoice_number', operator: 'missing', value: true }] },
    outcome: 'hold',
    reasonCode: 'FIELD_MISSING',
    message: 'The invoice number was not found.',
    fields: ['invoice_number'],
  },
  {
    id: 'invoice-approval-limit',
    description: 'Invoices above the approval limit need a second pair of eyes.',
    classes: ['invoice'],
    conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'greaterThan', value: 10000 }] },
    outcome: 'hold',
    reasonCode: 'AMOUNT_ABOVE_APPROVAL_LIMIT',
    message: 'The invoice total is above the approval limit of 10,000.',
    fields: ['total'],
  },
  {
    id: 'iban-checksum',
    description: 'A payment IBAN must pass the ISO 13616 mod-97 check.',
    classes: ['invoice', 'bank_statement'],
    conditions: { all: [{ fact: 'fields', path: '$.iban', operator: 'validIban', value: false }] },
    outcome: 'reject',
    reasonCode: 'INVALID_IBAN',
    message: 'The IBAN fails its mod-97 checksum.',
    fields: ['iban'],
  },
  {
    id: 'receipt-total-missing',
    description: 'A receipt must state its total.',
    classes: ['receipt'],
    conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'missing', value: true }] },
    outcome: 'hold',
    reasonCode: 'FIELD_MISSING',
    message: 'The receipt total was not found.',
    fields: ['total'],
  },
];
