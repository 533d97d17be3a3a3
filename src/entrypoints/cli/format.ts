import path from 'node:path';
import type { StoredAuditRecord } from '../../ports/audit-log.js';
import type { BatchRun } from '../runtime.js';

/** Pads a table of strings into aligned columns. */
export const table = (rows: readonly (readonly string[])[], header?: readonly string[]): string => {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]): string =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = all.map(line);
  if (header) out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return out.join('\n');
};

export const rel = (p: string): string => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

export const formatRun = (run: BatchRun): string => {
  const lines: string[] = [];
  const head = `Batch ${run.batchId}${run.resumed ? ' (resumed after an interruption)' : ''}`;
  lines.push(head);
  if (run.summary) {
    const s = run.summary;
    lines.push(`  received ${s.received} = pass ${s.pass} + hold ${s.hold} + reject ${s.reject} + failed ${s.failed}  (reconciled)`);
    if (s.duplicates > 0) lines.push(`  ${s.duplicates} already routed by an earlier batch: not routed again`);
    if (run.sameBytesInBatch > 0) lines.push(`  ${run.sameBytesInBatch} file(s) had the same bytes as another file in this batch`);
    const reasons = Object.entries(s.reasons);
    if (reasons.length) lines.push(`  reasons: ${reasons.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  }
  for (const sk of run.skipped) lines.push(`  skipped ${rel(sk.file)}: ${sk.reason}`);
  if (run.notifyError) lines.push(`  notification failed: ${run.notifyError}`);
  if (run.error) {
    lines.push(`  batch failed: ${run.error.name}: ${run.error.message}`);
    if (run.error.missing?.length) lines.push(`  documents with no outcome: ${run.error.missing.join(', ')}`);
  }
  return lines.join('\n');
};

export const formatTimeline = (records: readonly StoredAuditRecord[]): string =>
  table(
    records.map((r) => [
      r.at.replace('T', ' ').replace('Z', ''),
      r.batchId,
      r.step,
      String(r.attempt),
      r.event,
      r.durationMs !== undefined ? `${r.durationMs.toFixed(0)} ms` : '',
      [r.outcome, r.errorName, r.reasonCodes?.join(','), r.note].filter(Boolean).join('  '),
    ]),
    ['time (UTC)', 'batch', 'step', 'try', 'event', 'took', 'detail'],
  );
