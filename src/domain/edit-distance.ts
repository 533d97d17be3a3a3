/**
 * Bounded edit distance for fuzzy keyword matching. Pure.
 *
 * Counts insertions, deletions, substitutions and transpositions of two adjacent characters (the
 * "optimal string alignment" variant of Damerau–Levenshtein), so the common OCR slips ("lnvoice",
 * "statment", "memroandum") each cost one edit. Works on UTF-16 code units: callers compare
 * normalised lower-case words, where that is the same as characters.
 *
 * Keyword matching only asks "is it within n edits?", and asks it often, so the distance is bounded:
 * a common prefix and suffix are skipped, only the cells at most `bound` off the diagonal are
 * computed (any other cell is already over the bound), and once every cell of a row exceeds `bound`
 * the function stops, since no later row can come back under it.
 */

/**
 * Three reused rows (the one before the previous is needed for transpositions). Reused because this
 * runs hundreds of thousands of times per long document; no call keeps state in them.
 */
let rows: [Int32Array, Int32Array, Int32Array] = [new Int32Array(32), new Int32Array(32), new Int32Array(32)];

/** The distance between `a` and `b` if it is at most `bound`, else `bound + 1`. `bound` must be ≥ 0. */
export const boundedEditDistance = (a: string, b: string, bound: number): number => {
  const over = bound + 1;
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > bound) return over;
  // Skip the common prefix and suffix: they cost nothing. A transposition cannot straddle them.
  let start = 0;
  let endA = a.length;
  let endB = b.length;
  while (start < endA && start < endB && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  const la = endA - start;
  const lb = endB - start;
  if (la === 0 || lb === 0) return Math.max(la, lb) > bound ? over : Math.max(la, lb);
  if (rows[0].length < lb + 2) rows = [new Int32Array(lb * 2 + 2), new Int32Array(lb * 2 + 2), new Int32Array(lb * 2 + 2)];
  let [before, previous, current] = rows;
  for (let j = 0; j <= lb; j++) previous[j] = j;
  for (let i = 1; i <= la; i++) {
    const lo = Math.max(1, i - bound);
    const hi = Math.min(lb, i + bound);
    current[0] = i;
    if (lo > 1) current[lo - 1] = over;
    if (hi < lb) current[hi + 1] = over;
    let rowMin = i;
    const ca = a.charCodeAt(start + i - 1);
    for (let j = lo; j <= hi; j++) {
      const cb = b.charCodeAt(start + j - 1);
      let d = Math.min(
        (previous[j] ?? over) + 1, // delete from a
        (current[j - 1] ?? over) + 1, // insert into a
        (previous[j - 1] ?? over) + (ca === cb ? 0 : 1), // substitute
      );
      if (i > 1 && j > 1 && ca === b.charCodeAt(start + j - 2) && a.charCodeAt(start + i - 2) === cb) {
        d = Math.min(d, (before[j - 2] ?? over) + 1); // transpose
      }
      current[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > bound) return over;
    [before, previous, current] = [previous, current, before];
  }
  const distance = previous[lb] ?? over;
  return distance > bound ? over : distance;
};

/** Whether `a` and `b` are at most `bound` edits apart. */
export const withinEdits = (a: string, b: string, bound: number): boolean => boundedEditDistance(a, b, bound) <= bound;
