import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { SqliteStore } from '../../adapters/local/sqlite-store.js';
import { decisionAuthor } from '../../domain/decision-record.js';
import type { DecisionKind, DocumentId } from '../../domain/document.js';
import { locationIdOf } from '../../orchestration/refused-inputs.js';
import { formatTimeline, rel, table } from './format.js';

/** A document id from a full id, an id prefix, or the path of a file (hashed, not ingested). */
export const resolveDocument = async (store: SqliteStore, ref: string): Promise<DocumentId | null> => {
  const st = await lstat(ref).catch(() => null);
  if (st && !st.isFile() && !st.isDirectory()) {
    // A symlink, FIFO or device is never followed or read: it was recorded under its location id.
    const id = locationIdOf(Buffer.from(path.resolve(ref)));
    return (await store.getDocument(id)) ? id : null;
  }
  if (st?.isFile()) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(ref)) hash.update(chunk as Buffer);
    const id = hash.digest('hex');
    return (await store.getDocument(id)) ? id : null;
  }
  return store.resolveDocumentId(ref);
};

export interface DocumentStatus {
  readonly documentId: DocumentId;
  readonly name: string;
  readonly state: 'routed' | 'failed' | 'in-progress' | 'received';
  readonly outcome: string | null;
  readonly location: string | null;
  readonly documentClass: string | null;
  readonly confidence: number | null;
  readonly reasons: readonly { code: string; message: string }[];
  readonly routedAt: string | null;
  readonly batchId: string | null;
  readonly lastStep: { step: string; event: string; at: string; errorName?: string } | null;
  /** The current decision: its version in the chain, who made it, and the versions that judged it. */
  readonly decision: {
    readonly version: number;
    readonly kind: string;
    readonly decidedAt: string;
    readonly reviewer: string | null;
    readonly reason: string | null;
    readonly replayedFrom: string | null;
    readonly supersedes: { version: number; outcome: string } | null;
    readonly classifier: string | null;
    readonly rulesetVersion: string | null;
    readonly configVersion: string | null;
  } | null;
  readonly batches: readonly { batchId: string; outcome: string | null; duplicate: boolean }[];
}

/** "Where is document X right now, and why?" */
export const documentStatus = async (store: SqliteStore, documentId: DocumentId): Promise<DocumentStatus | null> => {
  const doc = await store.getDocument(documentId);
  if (!doc) return null;
  const route = await store.getRoute(documentId);
  const timeline = await store.timeline(documentId);
  const last = timeline.at(-1);
  const batches = store.batchMembership(documentId);
  const chain = route ? await store.decisions(documentId) : [];
  const current = chain.find((d) => d.version === route?.version) ?? null;
  const info = current?.result?.decision;
  const failed = !route && batches.some((b) => b.outcome === 'failed');
  const stepFailure = [...timeline].reverse().find((r) => r.event === 'failed' && r.step !== 'Pipeline');
  const final = [...timeline].reverse().find((r) => r.event === 'failed' && r.step === 'Pipeline');
  const failure = final
    ? [
        {
          code: 'PIPELINE_ERROR',
          message: `Failed at ${stepFailure?.step ?? 'a step'} with ${final.errorName ?? 'an error'}${final.note ? ` (${final.note})` : ''}; the original is kept and a re-run retries it.`,
        },
      ]
    : [];
  return {
    documentId,
    name: doc.name,
    state: route ? 'routed' : failed ? 'failed' : timeline.some((r) => r.event === 'entered') ? 'in-progress' : 'received',
    outcome: route?.outcome ?? (failed ? 'failed' : null),
    location: route?.location ?? null,
    documentClass: route?.documentClass ?? null,
    confidence: route?.confidence ?? null,
    reasons: route?.reasons ?? (failed ? failure : []),
    routedAt: route?.routedAt ?? null,
    batchId: route?.batchId ?? batches.at(-1)?.batchId ?? null,
    lastStep: last ? { step: last.step, event: last.event, at: last.at, ...(last.errorName ? { errorName: last.errorName } : {}) } : null,
    batches,
    decision: route
      ? {
          version: route.version,
          kind: route.kind,
          decidedAt: route.decidedAt,
          reviewer: info?.reviewer ?? null,
          reason: info?.reason ?? null,
          replayedFrom: info?.replayedFrom ?? null,
          supersedes: info?.supersedes ?? null,
          classifier: current?.result?.classifier ?? null,
          rulesetVersion: current?.result?.rulesetVersion || null,
          configVersion: current?.result?.configVersion || null,
        }
      : null,
  };
};

export const formatStatus = (s: DocumentStatus): string => {
  const rows: string[][] = [
    ['Document', s.documentId],
    ['Name', s.name],
  ];
  if (s.state === 'routed') {
    rows.push(['Route', `${(s.outcome ?? '').toUpperCase()}  (${s.location ? rel(s.location) : 'not taken in: no original'})`]);
    if (s.documentClass) {
      rows.push([
        'Class',
        `${s.documentClass}  (confidence ${s.confidence?.toFixed(2) ?? '-'}${s.decision?.classifier ? `, classifier ${s.decision.classifier}` : ''})`,
      ]);
    }
    rows.push(['Routed', `${s.routedAt ?? ''}  by batch ${s.batchId ?? ''}`]);
    const d = s.decision;
    if (d && d.version > 1) {
      const by = `${decisionAuthor(d.kind as DecisionKind, d)}${d.kind === 'review' && d.reason ? `: "${d.reason}"` : ''}`;
      rows.push([
        'Decided',
        `${d.decidedAt}  decision ${d.version}, ${by}${d.supersedes ? `; supersedes ${d.supersedes.outcome} (decision ${d.supersedes.version})` : ''}`,
      ]);
    }
    if (d?.rulesetVersion) rows.push(['Versions', `ruleset ${d.rulesetVersion}, config ${d.configVersion ?? '-'}`]);
  } else if (s.state === 'failed') {
    rows.push(['State', 'FAILED: not routed; the original is kept and a re-run retries it']);
  } else {
    rows.push([
      'State',
      s.state === 'in-progress'
        ? `IN PROGRESS: last ${s.lastStep?.step ?? ''} ${s.lastStep?.event ?? ''} at ${s.lastStep?.at ?? ''}`
        : 'RECEIVED: not processed yet',
    ]);
  }
  s.reasons.forEach((r, i) => rows.push([i === 0 ? 'Why' : '', `${r.code}: ${r.message}`]));
  if (s.batches.length > 1) {
    rows.push(['Seen in', s.batches.map((b) => `${b.batchId}${b.duplicate ? ' (duplicate, not re-routed)' : ''}`).join(', ')]);
  }
  return table(rows);
};

export const traceText = async (store: SqliteStore, documentId: DocumentId): Promise<string> =>
  formatTimeline(await store.timeline(documentId));
