import type { Classification, Extraction } from '../../domain/document.js';
import type { DocumentClassSpec } from '../../config/schema.js';
import { UNCLASSIFIED, type Classifier } from '../../ports/classifier.js';

/** Evidence (score) at which a class with no competitor reaches full confidence. */
const FULL_EVIDENCE = 4;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface CompiledClass {
  readonly name: string;
  readonly keywords: readonly RegExp[];
  readonly patterns: readonly RegExp[];
}

/**
 * The zero-shot default: keywords (1 point each) and regular expressions (2 points each) per class.
 *
 * Confidence = share × coverage, where share is the winner's fraction of all evidence (how clearly
 * it beats the others) and coverage = min(1, score / 4) (how much evidence there is at all). A page
 * that matches one stray keyword thus stays well below the default review threshold of 0.5.
 */
export const createKeywordClassifier = (classes: readonly DocumentClassSpec[]): Classifier => {
  const compiled: CompiledClass[] = classes.map((c) => ({
    name: c.name,
    keywords: c.keywords.map((k) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(k).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`, 'iu')),
    patterns: c.patterns.map((p) => new RegExp(p, 'imu')),
  }));
  return {
    name: 'keywords',
    classify: (extraction: Extraction): Promise<Classification> => {
      const text = extraction.text;
      const scores = compiled
        .map((c) => ({
          documentClass: c.name,
          score: c.keywords.filter((k) => k.test(text)).length + 2 * c.patterns.filter((p) => p.test(text)).length,
        }))
        .sort((a, b) => b.score - a.score || a.documentClass.localeCompare(b.documentClass));
      const total = scores.reduce((n, s) => n + s.score, 0);
      const best = scores[0];
      if (!best || best.score === 0) {
        return Promise.resolve({ documentClass: UNCLASSIFIED, confidence: 0, classifier: 'keywords', alternatives: [] });
      }
      const share = best.score / total;
      const coverage = Math.min(1, best.score / FULL_EVIDENCE);
      return Promise.resolve({
        documentClass: best.documentClass,
        confidence: Math.round(share * coverage * 1000) / 1000,
        classifier: 'keywords',
        alternatives: scores.filter((s) => s.score > 0).slice(0, 3),
      });
    },
  };
};
