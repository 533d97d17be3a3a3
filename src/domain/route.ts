import type { Classification, Decision, Finding, Reason } from './document.js';
import { UNCLASSIFIED } from '../ports/classifier.js';

export interface DecideOptions {
  readonly minConfidence: number;
  /** Per-class review thresholds (from config, or suggested by `eval classify`); override minConfidence. */
  readonly thresholds?: Readonly<Record<string, number>>;
}

/**
 * Reject beats hold beats pass. Low confidence or no class holds. Every decision lists its reasons,
 * including a pass (so "why did this pass?" has an answer too).
 */
export const decide = (classification: Classification, findings: readonly Finding[], options: DecideOptions): Decision => {
  const rejects = findings.filter((f) => f.severity === 'reject');
  const holds = findings.filter((f) => f.severity === 'hold');
  const reasons: Reason[] = [];
  const conf = classification.confidence.toFixed(2);
  const threshold = (options.thresholds?.[classification.documentClass] ?? options.minConfidence).toFixed(2);

  for (const f of rejects) reasons.push({ code: f.reasonCode, message: `${f.message} (rule ${f.ruleId})` });
  for (const f of holds) reasons.push({ code: f.reasonCode, message: `${f.message} (rule ${f.ruleId})` });
  if (classification.documentClass === UNCLASSIFIED) {
    reasons.push({ code: 'UNCLASSIFIED', message: `No document class matched (classifier ${classification.classifier}).` });
  } else if (classification.alternatives.length > 1 && classification.alternatives[0]?.score === classification.alternatives[1]?.score) {
    reasons.push({
      code: 'AMBIGUOUS_CLASS',
      message: `${classification.classifier} could not choose between ${classification.alternatives[0]?.documentClass ?? ''} and ${classification.alternatives[1]?.documentClass ?? ''} (tied).`,
    });
  } else if (classification.confidence < (options.thresholds?.[classification.documentClass] ?? options.minConfidence)) {
    reasons.push({
      code: 'LOW_CONFIDENCE',
      message: `Classified as ${classification.documentClass} by ${classification.classifier} with confidence ${conf}, below the threshold ${threshold}.`,
    });
  }

  if (rejects.length > 0) return { outcome: 'reject', reasons, findings };
  if (reasons.length > 0) return { outcome: 'hold', reasons, findings };
  return {
    outcome: 'pass',
    findings,
    reasons: [
      {
        code: 'CLASSIFIED',
        message: `Classified as ${classification.documentClass} by ${classification.classifier} with confidence ${conf} (threshold ${threshold}).`,
      },
      { code: 'RULES_PASSED', message: 'No rule raised a finding.' },
    ],
  };
};
