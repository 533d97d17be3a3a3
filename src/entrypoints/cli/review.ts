import type { Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import type { DocumentId } from '../../domain/document.js';
import { decisionAuthor } from '../../domain/decision-record.js';
import { maskValue } from '../../domain/mask.js';
import { parseCorrections, type ReviewAction } from '../../domain/review.js';
import type { DecisionRecord } from '../../ports/decisions.js';
import type { ReviewView } from '../../orchestration/review.js';
import { newId, openRuntime, openStore, type Runtime } from '../runtime.js';
import { EXIT } from './exit-codes.js';
import { rel, table } from './format.js';
import { resolveDocument } from './inspect.js';
import { err, out } from './io.js';

export interface ReviewGlobals {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

interface Deps {
  readonly globals: () => ReviewGlobals;
  readonly setCode: (code: number) => void;
  readonly load: (opts: ReviewGlobals) => LoadedConfig;
}

const when = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** "decision 2 (review by alice, 2026-…)" */
export const describeDecision = (d: DecisionRecord): string =>
  `decision ${d.version} (${decisionAuthor(d.kind, d.result?.decision)}, ${when(d.decidedAt)})`;

const noData = (loaded: LoadedConfig): number => {
  err(`docroute: no docroute data in ${rel(loaded.config.dataDir)} yet (run \`docroute run <inbox>\` or \`docroute demo\` first)`);
  return EXIT.NOT_FOUND;
};

/** Opens the runtime for one document reference; NOT_FOUND when the data or the document is missing. */
const withDocument = async (
  deps: Deps,
  ref: string,
  command: string,
  fn: (runtime: Runtime, id: DocumentId) => Promise<number>,
): Promise<number> => {
  const loaded = deps.load(deps.globals());
  const probe = openStore(loaded);
  if (!probe) return noData(loaded);
  probe.close();
  const runtime = await openRuntime(loaded);
  try {
    const id = await resolveDocument(runtime.store, ref);
    if (!id) {
      err(
        `docroute ${command}: no document matches "${ref}" in ${rel(runtime.dataDir)} (use a file path, a full id, or an id prefix of 8+ characters)`,
      );
      return EXIT.NOT_FOUND;
    }
    return await fn(runtime, id);
  } finally {
    await runtime.close();
  }
};

const commandList = (deps: Deps, limit: number): number => {
  const opts = deps.globals();
  const loaded = deps.load(opts);
  const store = openStore(loaded);
  if (!store) return noData(loaded);
  try {
    const held = store.routesWithOutcome('hold', limit);
    const names = new Map(held.map((r) => [r.documentId, store.getDocumentSync(r.documentId)?.name ?? '']));
    if (opts.json) {
      out(
        JSON.stringify(
          held.map((r) => ({
            documentId: r.documentId,
            name: names.get(r.documentId) ?? '',
            heldSince: r.decidedAt,
            decision: r.version,
            documentClass: r.documentClass,
            confidence: r.confidence,
            reasonCodes: r.reasons.map((x) => x.code),
          })),
          null,
          2,
        ),
      );
      return EXIT.OK;
    }
    if (held.length === 0) {
      out('No documents are awaiting review.');
      return EXIT.OK;
    }
    out(
      table(
        held.map((r) => [
          r.documentId.slice(0, 12),
          names.get(r.documentId) ?? '',
          when(r.decidedAt),
          r.documentClass ?? '-',
          r.confidence === null ? '-' : r.confidence.toFixed(2),
          r.reasons.map((x) => x.code).join(', '),
        ]),
        ['document', 'name', 'held since (UTC)', 'class', 'conf', 'why'],
      ),
    );
    out(`\n${held.length} held. Decide with: docroute review approve|reject <document> --reviewer <id> --reason "..."`);
    return EXIT.OK;
  } finally {
    store.close();
  }
};

const formatView = (v: ReviewView): string => {
  const r = v.record;
  const rows: string[][] = [
    ['Document', v.documentId],
    ['Name', r.name],
    ['Route', `${v.current.outcome.toUpperCase()}  ${describeDecision(v.current)}  ${rel(v.current.location)}`],
  ];
  if (r.documentClass)
    rows.push(['Class', `${r.documentClass}  (confidence ${r.confidence?.toFixed(2) ?? '-'}, classifier ${r.classifier ?? '-'})`]);
  if (r.rulesetVersion) rows.push(['Versions', `ruleset ${r.rulesetVersion}, config ${r.configVersion}`]);
  r.reasons.forEach((x, i) => rows.push([i === 0 ? 'Why' : '', `${x.code}: ${x.message}`]));
  r.findings.forEach((f, i) =>
    rows.push([
      i === 0 ? 'Findings' : '',
      `${f.ruleId}  ${f.reasonCode}  ${f.severity}${f.fields.length ? `  fields: ${f.fields.join(', ')}` : ''}`,
    ]),
  );
  if (v.fields) {
    const entries = Object.entries(v.fields).sort(([a], [b]) => a.localeCompare(b));
    entries.forEach(([name, f], i) => {
      const shown = f.sensitive ? `${String(r.fields[name] ?? '••••')}  (sensitive: masked)` : String(f.value);
      const notes = [f.confidence !== null ? `confidence ${f.confidence.toFixed(2)}` : '', f.corrected ? 'corrected by a reviewer' : '']
        .filter(Boolean)
        .join(', ');
      rows.push([i === 0 ? 'Fields' : '', `${name} = ${shown}${notes ? `  (${notes})` : ''}`]);
    });
    if (entries.length === 0) rows.push(['Fields', '(none found)']);
  } else {
    rows.push(['Fields', '(not available: the document was not read past classification)']);
  }
  v.chain.forEach((d, i) =>
    rows.push([
      i === 0 ? 'History' : '',
      `${d.version}  ${d.outcome.padEnd(6)}  ${d.kind.padEnd(8)}  ${when(d.decidedAt)}  ${d.kind === 'review' ? `by ${d.result?.decision?.reviewer ?? '?'}: ${d.result?.decision?.reason ?? ''}` : d.batchId}`,
    ]),
  );
  return table(rows);
};

const commandShow = (deps: Deps, ref: string): Promise<number> =>
  withDocument(deps, ref, 'review show', async (runtime, id) => {
    const view = await runtime.review.show(id);
    if (!view) {
      err(`docroute review show: document ${id.slice(0, 12)} has not been routed yet`);
      return EXIT.NOT_FOUND;
    }
    if (deps.globals().json) {
      // Sensitive values stay masked in machine output too.
      const fields = view.fields
        ? Object.fromEntries(
            Object.entries(view.fields).map(([k, f]) => [k, f.sensitive ? { ...f, value: view.record.fields[k] ?? '••••' } : f]),
          )
        : null;
      // Reviewer corrections of sensitive fields are masked like the fields themselves.
      const fieldVersions = view.fieldVersions.map((v) => ({
        ...v,
        fields: Object.fromEntries(
          Object.entries(v.fields).map(([k, value]) => [k, view.fields?.[k]?.sensitive ? maskValue(value) : value]),
        ),
      }));
      out(JSON.stringify({ ...view, fields, fieldVersions }, null, 2));
    } else {
      out(formatView(view));
      if (view.current.outcome === 'hold')
        out(`\nDecide with: docroute review approve|reject ${id.slice(0, 12)} --reviewer <id> --reason "..." [--set field=value]`);
    }
    return EXIT.OK;
  });

const commandDecide = (
  deps: Deps,
  action: ReviewAction,
  ref: string,
  o: { reason: string; reviewer: string; set?: string[] },
): Promise<number> =>
  withDocument(deps, ref, `review ${action}`, async (runtime, id) => {
    const parsed = parseCorrections(o.set ?? []);
    if ('problem' in parsed) {
      err(`docroute review ${action}: ${parsed.problem}`);
      return EXIT.USAGE;
    }
    const result = await runtime.review.decide(id, {
      action,
      reviewer: o.reviewer,
      reason: o.reason,
      corrections: parsed.corrections,
      reviewId: newId('rv', new Date()),
    });
    const json = deps.globals().json;
    switch (result.kind) {
      case 'invalid':
        err(`docroute review ${action}: ${result.problem}`);
        return EXIT.USAGE;
      case 'not-routed':
        err(`docroute review ${action}: document ${id.slice(0, 12)} has not been routed yet; nothing to review`);
        return EXIT.NOT_FOUND;
      case 'not-held':
        err(
          `docroute review ${action}: document ${id.slice(0, 12)} is not awaiting review: it is ${result.current.outcome.toUpperCase()} by ${describeDecision(result.current)}. A decision is made once; it is never overwritten.`,
        );
        return EXIT.CONFLICT;
      case 'lost-race':
        err(
          `docroute review ${action}: another decision was recorded first${result.current ? ` (${describeDecision(result.current)}: ${result.current.outcome})` : ''}; yours was not recorded`,
        );
        return EXIT.CONFLICT;
      case 'decided': {
        const d = result.decision;
        if (json) out(JSON.stringify({ documentId: id, decision: d, previous: result.previous, delivery: result.move }, null, 2));
        else {
          out(`${id.slice(0, 12)}  ${result.previous.outcome.toUpperCase()} → ${d.outcome.toUpperCase()}  ${describeDecision(d)}`);
          if (d.result?.decision?.correctedFields?.length)
            out(
              `  corrected: ${d.result.decision.correctedFields.join(', ')} (field version ${d.result.decision.fieldsVersion ?? '?'}; the extraction is kept)`,
            );
          if (result.stillFiring.length)
            out(`  note: on the corrected fields, ${result.stillFiring.map((f) => `${f.ruleId} (${f.reasonCode})`).join(', ')} still fire`);
          if (result.move?.location) out(`  now at ${rel(result.move.location)}`);
        }
        if (result.move?.error) {
          err(
            `docroute review ${action}: the decision is recorded, but delivering it failed (${result.move.error.name}: ${result.move.error.message}); the next docroute command retries the delivery`,
          );
          return EXIT.NOTIFY_FAILED;
        }
        return EXIT.OK;
      }
    }
  });

export const registerReviewCommand = (program: Command, deps: Deps): Command => {
  const review = program.command('review').description('human review of held documents: list, show, approve, reject');
  review
    .command('list')
    .description('documents awaiting review (held), oldest first')
    .option('-n, --limit <n>', 'at most this many', (v) => Math.max(1, Number.parseInt(v, 10) || 100), 1000)
    .action((o: { limit: number }) => deps.setCode(commandList(deps, o.limit)));
  review
    .command('show')
    .description("a document's decision: reasons, findings, fields (sensitive ones masked) and decision history")
    .argument('<doc>', 'document id, id prefix, or file path')
    .action(async (ref: string) => deps.setCode(await commandShow(deps, ref)));
  for (const action of ['approve', 'reject'] as const) {
    review
      .command(action)
      .description(
        action === 'approve'
          ? 'pass a held document (recorded with who, when and why; a decision is made once)'
          : 'reject a held document (recorded with who, when and why; a decision is made once)',
      )
      .argument('<doc>', 'document id, id prefix, or file path')
      .requiredOption('--reviewer <id>', 'who decides (an opaque id: employee number, e-mail)')
      .requiredOption('--reason <text>', 'why, in one line: it goes to the audit trail')
      .option(
        '--set <field=value>',
        'correct a field (repeatable); kept as a new field version, the extraction is never overwritten',
        (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
      )
      .action(async (ref: string, o: { reason: string; reviewer: string; set?: string[] }) =>
        deps.setCode(await commandDecide(deps, action, ref, o)),
      );
  }
  return review;
};
