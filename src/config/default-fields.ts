import type { FieldSpec } from './field-spec.js';

/** Built-in field specs per document class; a config file's `fields` replaces them as a whole. */

/** 1,250.00 · 1.250,00 · 1 250,00 · 48900 · 9 — thousands groups of exactly three digits, so a following number is never swallowed. */
const AMOUNT = "(?<value>\\d{1,3}(?:[.,' ]\\d{3})+(?:[.,]\\d{1,2})?(?!\\d)|\\d+(?:[.,]\\d{1,2})?(?!\\d))";

const IBAN_PATTERN = '\\biban\\s*:?\\s*(?<value>[A-Z]{2}\\d{2}(?:\\s?[A-Z0-9]{4}){2,7}(?:\\s?[A-Z0-9]{1,3})?)';

/** Phrases around the word "total" that name something other than the amount to pay. */
const NOT_THE_TOTAL = [
  'sub total',
  'subtotal',
  'sub ttl',
  'total qty',
  'total quantity',
  'total item',
  'total items',
  'total excl',
  'total exclusive',
  'total excluding',
  'total tax',
  'total gst',
  'total vat',
  'total savings',
  'total saving',
  'total discount',
  'total disc',
  'total net',
  'total ht',
  'total hors',
];

/** Malaysian company suffixes, with the ways OCR misreads them ("SDN BND", "$/B"). */
const COMPANY_SUFFIX = '(?<![\\p{L}\\p{N}])(?:[s5$][dio0]n\\.?\\s*b[hn]d|[s5$]\\s?/\\s?b|bhd|berhad)\\b\\.?';

/** Receipt header lines that are not the shop's name. */
const NOT_A_NAME = [
  '\\b(?:tax invoice|invoice|receipt|welcome|cash bill|official|tel|fax|gst|reg|co no|company no)\\b',
  '^[^\\p{L}]*$',
  '^(?:[^\\p{L}]*\\p{L}){0,2}[^\\p{L}]*$',
  '^\\W*\\d{4,}\\b',
];

/** A company registration number on a line of its own: "(001465242-V)", "JM0325955-V", "(139386 X)". */
const REGISTRATION_LINE = [
  '^\\W*(?:[a-z]{1,3})?\\s*\\d{4,12}\\s*-?\\s*[a-z]\\W*$',
  '\\d{5,12}\\s*-\\s*[a-z]\\)?\\W*$',
  '\\b(?:co|company|roc|business)\\.?\\s*(?:reg|registration|no)\\b',
];

/** Lines that follow a receipt's address: contact, tax and transaction details. */
const AFTER_ADDRESS = [
  '\\b(?:tel|fax|phone|h/p|hp|gst|sst|reg|email|e-mail|www|http|receipt|cashier|date|document|doc|bill|table|order|counter|terminal|member|served|operator|slip|trans|tax|guest|check|pos)\\b',
  'invoice',
  '\\b(?:cash|pay|paid)\\b',
  '\\b\\d{1,2}:\\d{2}\\b',
  '\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2,4}',
  '\\d{1,2}\\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\s*\\d{2,4}',
  '^[\\d\\s()+-]{9,}$',
];

export const DEFAULT_FIELDS: Record<string, FieldSpec[]> = {
  invoice: [
    {
      name: 'issuer',
      type: 'text',
      locators: [
        {
          label: ['from', 'issuer', 'supplier', 'seller', 'vendor'],
          direction: 'right-or-below',
          position: { region: 'top', maxLines: 15 },
        },
        {
          pattern:
            '^(?<value>.*\\b(?:gmbh|ag|b\\.?v\\.?|n\\.?v\\.?|ltd|limited|llc|inc|corp|sas|sarl|s\\.?a\\.?|plc|ab|oy|as|aps|s\\.?r\\.?l|sdn\\.? bhd)\\.?)\\s*$',
          position: { region: 'top', maxLines: 12 },
        },
        {
          position: { region: 'top', maxLines: 4 },
          skip: [
            '\\b(?:invoice|factuur|facture|rechnung|fattura|factura|bill to|ship to|page)\\b',
            '^(?:kopie|copy|original)\\b',
            '@|www\\.|https?:',
            '^[^\\p{L}]*$',
          ],
        },
      ],
    },
    {
      name: 'invoice_number',
      type: 'id',
      required: true,
      locators: [
        {
          label: [
            'invoice no',
            'invoice number',
            'invoice nr',
            'invoice #',
            'invoice id',
            'inv no',
            'factuurnummer',
            'factuur nr',
            'facture n',
            'numero de facture',
            'rechnungsnummer',
            'rechnung nr',
          ],
          direction: 'right-or-below',
        },
        { label: ['invoice', 'factuur', 'facture', 'rechnung', '#'], direction: 'right' },
      ],
    },
    {
      name: 'date',
      type: 'date',
      locators: [
        {
          label: [
            'invoice date',
            'date of invoice',
            'factuurdatum',
            'factuur datum',
            'date de facture',
            'rechnungsdatum',
            'issue date',
            'date',
          ],
          direction: 'right-or-below',
          exclude: ['due date', 'order date', 'delivery date', 'date due', 'date limite'],
        },
        { label: ['facture', 'invoice'], direction: 'right' },
        { position: { region: 'top', maxLines: 20 } },
      ],
    },
    {
      name: 'due_date',
      type: 'date',
      locators: [
        {
          label: [
            'due date',
            'date due',
            'payment due',
            'vervaldatum',
            'date limite de paiement',
            'echeance',
            'faelligkeitsdatum',
            'fallig am',
          ],
          direction: 'right-or-below',
        },
      ],
    },
    {
      name: 'total',
      type: 'amount',
      required: true,
      locators: [
        {
          label: [
            'total due',
            'amount due',
            'balance due',
            'grand total',
            'total amount',
            'invoice total',
            'total to pay',
            'factuur totaal',
            'totaal',
            'te betalen',
            'somme a payer',
            'montant ttc',
            'total ttc',
            'gesamtbetrag',
            'rechnungsbetrag',
          ],
          direction: 'right-or-below',
        },
        { label: ['total'], direction: 'right-or-below', exclude: NOT_THE_TOTAL },
      ],
      pick: 'last',
    },
    {
      name: 'currency',
      type: 'text',
      locators: [{ currencyOf: 'total' }, { pattern: '\\b(?<value>EUR|USD|GBP|CHF)\\b' }],
    },
    {
      name: 'iban',
      type: 'iban',
      locators: [{ label: ['iban'], direction: 'right-or-below' }, { pattern: IBAN_PATTERN }],
    },
    { name: 'bic', type: 'bic', locators: [{ label: ['bic', 'swift', 'swift code', 'bic swift'], direction: 'right-or-below' }] },
  ],
  receipt: [
    {
      name: 'company',
      type: 'text',
      locators: [
        // "NANDO'S CHICKENLAND MALAYSIA" over "SDN BHD": the suffix alone on a line ends the name above it.
        { pattern: `^(?<value>[^\\n]*\\n[\\s.]*${COMPANY_SUFFIX})[\\s.]*$`, position: { region: 'top', maxLines: 8 } },
        // The name up to its suffix, without a registration number after it or an "owned by:" before it.
        { pattern: `^(?:[^\\n:]{1,12}:\\s*)?(?<value>[^\\n]*${COMPANY_SUFFIX})`, position: { region: 'top', maxLines: 8 } },
        {
          pattern:
            '^(?<value>[^\\n]*\\b(?:enterprise|trading|restaurant|restoran|hardware|stationery|bakeries|pharmacy|marketing|store|mart|cafe)\\b[^\\n]*)$',
          position: { region: 'top', maxLines: 6 },
        },
        { position: { region: 'top', maxLines: 4 }, skip: [...NOT_A_NAME] },
      ],
    },
    {
      name: 'address',
      type: 'text',
      locators: [
        {
          block: {
            after: 'company',
            start:
              '\\d|\\b(?:jalan|jln|lot|no|unit|lorong|lrg|taman|tmn|level|lvl|floor|flr|blk|block|wisma|menara|plaza|kompleks|bangunan)\\b',
            skip: [...REGISTRATION_LINE],
            stop: [...AFTER_ADDRESS],
            maxLines: 5,
          },
        },
      ],
    },
    {
      name: 'date',
      type: 'date',
      hints: { dateOrder: 'DMY', years: { min: 1990, max: 2049 } },
      locators: [{ label: ['date', 'dated', 'tarikh'], direction: 'right-or-below' }, { position: { region: 'top', maxLines: 80 } }],
    },
    {
      name: 'total',
      type: 'amount',
      required: true,
      hints: { decimal: '.', rounding: 0.05 },
      locators: [
        {
          label: ['total'],
          // Final amounts by their wording; "TOTAL" alone can also head a column or a GST summary.
          prefer: [
            'nett total',
            'net total',
            'grand total',
            'total payable',
            'amount payable',
            'amount due',
            'amt due',
            'total due',
            'balance due',
            'total rounded',
            'rounded total',
            'total amt rounded',
            'total after adj',
            'total incl',
            'total inclusive',
            'total sales incl',
            'total sales inclusive',
          ],
          direction: 'right-or-below',
          exclude: NOT_THE_TOTAL,
          // A "TOTAL" under the change given is a GST summary's, before tax.
          until: ['change', 'change due', 'gst summary', 'tax summary'],
        },
        { pattern: `^\\s*total\\s*:?\\s*(?:EUR|USD|GBP|[€$£])?\\s*${AMOUNT}` },
      ],
      pick: 'largest',
    },
  ],
  letter: [{ name: 'salutation', type: 'text', pattern: '^\\s*dear\\s+(?<value>[^,\\n]{2,60})' }],
  bank_statement: [
    {
      name: 'closing_balance',
      type: 'amount',
      locators: [
        { label: ['closing balance'], direction: 'right-or-below' },
        { pattern: `closing\\s+balance\\s*:?\\s*(?:EUR|USD|GBP|[€$£])?\\s*${AMOUNT}` },
      ],
    },
    { name: 'iban', type: 'iban', locators: [{ label: ['iban'], direction: 'right-or-below' }, { pattern: IBAN_PATTERN }] },
  ],
};
