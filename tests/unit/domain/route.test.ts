import { describe, expect, it } from 'vitest';
import type { Classification, Finding } from '../../../src/domain/document.js';
import { decide } from '../../../src/domain/route.js';
import { UNCLASSIFIED } from '../../../src/ports/classifier.js';

const classified = (documentClass = 'invoice', confidence = 0.9): Classification => ({
  documentClass,
  confidence,
  classifier: 'keywords',
  alternatives: [{ documentClass, score: 5 }],
});

const finding = (severity: Finding['severity'], reasonCode: string, ruleId = reasonCode.toLowerCase()): Finding => ({
  ruleId,
  reasonCode,
  severity,
  message: `${reasonCode} message`,
  fields: ['total'],
});

const OPTIONS = { minConfidence: 0.5 };

describe('decide', () => {
  it('holds a tie between two classes even at a confidence that meets the threshold', () => {
    const tie: Classification = {
      documentClass: 'invoice',
      confidence: 0.5,
      classifier: 'keywords',
      alternatives: [
        { documentClass: 'invoice', score: 4 },
        { documentClass: 'receipt', score: 4 },
      ],
    };
    const d = decide(tie, [], OPTIONS);
    expect(d.outcome).toBe('hold');
    expect(d.reasons.map((r) => r.code)).toEqual(['AMBIGUOUS_CLASS']);
    expect(d.reasons[0]?.message).toContain('receipt');
  });

  it('passes a confidently classified document with no findings, with reasons', () => {
    const d = decide(classified('invoice', 0.9), [], OPTIONS);
    expect(d.outcome).toBe('pass');
    expect(d.reasons.map((r) => r.code)).toEqual(['CLASSIFIED', 'RULES_PASSED']);
    expect(d.reasons[0]?.message).toContain('invoice');
    expect(d.reasons[0]?.message).toContain('0.90');
    expect(d.findings).toEqual([]);
  });

  it('holds on a hold finding and names the rule', () => {
    const f = finding('hold', 'AMOUNT_ABOVE_APPROVAL_LIMIT', 'invoice-approval-limit');
    const d = decide(classified(), [f], OPTIONS);
    expect(d.outcome).toBe('hold');
    expect(d.reasons).toEqual([
      { code: 'AMOUNT_ABOVE_APPROVAL_LIMIT', message: 'AMOUNT_ABOVE_APPROVAL_LIMIT message (rule invoice-approval-limit)' },
    ]);
  });

  it('rejects on a reject finding even when there are holds, listing rejects first', () => {
    const hold = finding('hold', 'FIELD_MISSING');
    const reject = finding('reject', 'INVALID_IBAN');
    const d = decide(classified(), [hold, reject], OPTIONS);
    expect(d.outcome).toBe('reject');
    expect(d.reasons.map((r) => r.code)).toEqual(['INVALID_IBAN', 'FIELD_MISSING']);
  });

  it('rejects on a reject finding even when confidence is low or the class is unknown', () => {
    const reject = finding('reject', 'INVALID_IBAN');
    expect(decide(classified('invoice', 0.1), [reject], OPTIONS).outcome).toBe('reject');
    expect(decide(classified(UNCLASSIFIED, 0), [reject], OPTIONS).outcome).toBe('reject');
  });

  it('holds below the confidence threshold with LOW_CONFIDENCE', () => {
    const d = decide(classified('receipt', 0.49), [], OPTIONS);
    expect(d.outcome).toBe('hold');
    expect(d.reasons.map((r) => r.code)).toEqual(['LOW_CONFIDENCE']);
    expect(d.reasons[0]?.message).toContain('0.49');
    expect(d.reasons[0]?.message).toContain('0.50');
  });

  it('passes at exactly the threshold', () => {
    expect(decide(classified('receipt', 0.5), [], OPTIONS).outcome).toBe('pass');
  });

  it('uses the configured threshold', () => {
    expect(decide(classified('receipt', 0.8), [], { minConfidence: 0.9 }).outcome).toBe('hold');
    expect(decide(classified('receipt', 0.2), [], { minConfidence: 0.1 }).outcome).toBe('pass');
  });

  it('holds an unclassified document with UNCLASSIFIED, not LOW_CONFIDENCE', () => {
    const d = decide(classified(UNCLASSIFIED, 0), [], OPTIONS);
    expect(d.outcome).toBe('hold');
    expect(d.reasons.map((r) => r.code)).toEqual(['UNCLASSIFIED']);
  });

  it('holds an unclassified document even when the classifier reports high confidence', () => {
    expect(decide(classified(UNCLASSIFIED, 1), [], OPTIONS).outcome).toBe('hold');
  });

  it('lists both rule reasons and the confidence reason on a hold', () => {
    const d = decide(classified('invoice', 0.2), [finding('hold', 'FIELD_MISSING')], OPTIONS);
    expect(d.outcome).toBe('hold');
    expect(d.reasons.map((r) => r.code)).toEqual(['FIELD_MISSING', 'LOW_CONFIDENCE']);
  });

  it('keeps every finding in the decision', () => {
    const findings = [finding('hold', 'A'), finding('reject', 'B'), finding('hold', 'C')];
    expect(decide(classified(), findings, OPTIONS).findings).toEqual(findings);
    const holds = [finding('hold', 'A'), finding('hold', 'C')];
    expect(decide(classified(), holds, OPTIONS).findings).toEqual(holds);
  });
});
