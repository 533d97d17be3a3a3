import { Option, type Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import { OUTCOMES, type DocumentId, type Outcome, type ReplayFrom } from '../../domain/document.js';
import { InvalidStepInputError } from '../../domain/errors.js';
import type { ReplayResult } from '../../orchestration/replay.js';
import type { OcrEngine } from '../../ports/ocr-engine.js';
import { newId, openRuntime, openStore } from '../runtime.js';
import { EXIT } from './exit-codes.js';
import { rel, table } from './format.js';
import { resolveDocument } from './inspect.js';
import { err, out } from './io.js';

export interface ReplayGlobals {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

interface Deps {
  readonly globals: () => ReplayGlobals;
  readonly setCode: (code: number) => void;
  readonly load: (opts: ReplayGlobals) => LoadedConfig;
}

/**
 * The OCR engine a replay runs with: it refuses. A replay starts after Extract and reads the cached
 * extraction, so any call here would be a bug, and it fails loudly instead of quietly re-reading.
 */
const noOcr: OcrEngine = {
  name: 'none (replay reads cached extractions)',
  recognize: () => Promise.reject(new InvalidStepInputError('a replay never runs OCR: it reads the cached extraction')),
  close: () => Promise.resolve(),
};

interface ReplayOptions {
  from: ReplayFrom;
  batch?: string;
  route?: Outcome;
  dryRun?: boolean;
}

const commandReplay = async (deps: Deps, refs: string[], o: ReplayOptions): Promise<number> => {
  const opts = deps.globals();
  if (refs.length === 0 && !o.batch && !o.route) {
    err('docroute replay: name documents, or select them with --batch <id> or --route <outcome>');
    return EXIT.USAGE;
  }
  const loaded = deps.load(opts);
  const probe = openStore(loaded);
  if (!probe) {
    err(`docroute replay: no docroute data in ${rel(loaded.config.dataDir)} yet`);
    return EXIT.NOT_FOUND;
  }
  probe.close();
  const runtime = await openRuntime(loaded, { ocr: noOcr });
  try {
    const ids: DocumentId[] = [];
    const add = (id: DocumentId): void => {
      if (!ids.includes(id)) ids.push(id);
    };
    for (const ref of refs) {
      const id = await resolveDocument(runtime.store, ref);
      if (!id) {
        err(`docroute replay: no document matches "${ref}" in ${rel(runtime.dataDir)}`);
        return EXIT.NOT_FOUND;
      }
      add(id);
    }
    if (o.batch) {
      const batch = o.batch === 'latest' ? (runtime.store.recentBatches(1)[0] ?? null) : runtime.store.getBatch(o.batch);
      if (!batch) {
        err(`docroute replay: no batch ${o.batch} in ${rel(runtime.dataDir)} (see \`docroute batches\`)`);
        return EXIT.NOT_FOUND;
      }
      for (const d of await runtime.store.batchOutcomes(batch.batchId)) add(d.documentId);
    }
    if (o.route) for (const r of runtime.store.routesWithOutcome(o.route)) add(r.documentId);

    const replayId = newId('rp', new Date());
    const results: ReplayResult[] = [];
    for (const id of ids) results.push(await runtime.replay.replayOne(id, { from: o.from, replayId, dryRun: o.dryRun ?? false }));

    const done = results.filter(
      (r): r is Extract<ReplayResult, { kind: 'replayed' | 'would-replay' }> => r.kind === 'replayed' || r.kind === 'would-replay',
    );
    const changed = done.filter((r) => r.before !== r.after);
    const skipped = results.filter((r) => r.kind === 'skipped');
    const failed = results.filter((r) => r.kind === 'failed');
    const undelivered = done.filter((r) => r.move?.error);
    if (opts.json) {
      out(JSON.stringify({ replayId, from: o.from, dryRun: o.dryRun ?? false, results }, null, 2));
    } else {
      const names = new Map(ids.map((id) => [id, runtime.store.getDocumentSync(id)?.name ?? '']));
      if (results.length > 0) {
        out(
          table(
            results.map((r) => {
              const name = names.get(r.documentId) ?? '';
              switch (r.kind) {
                case 'replayed':
                case 'would-replay':
                  return [
                    r.documentId.slice(0, 12),
                    name,
                    `${r.before} → ${r.after}${r.before === r.after ? ' (unchanged)' : ''}`,
                    r.reasonCodes.join(', '),
                  ];
                case 'skipped':
                  return [r.documentId.slice(0, 12), name, 'skipped', r.why];
                case 'failed':
                  return [r.documentId.slice(0, 12), name, 'failed', `${r.errorName}: ${r.message}`];
              }
            }),
            ['document', 'name', o.dryRun ? 'would go' : 'route', 'why'],
          ),
        );
      }
      const transitions = new Map<string, number>();
      for (const r of changed) transitions.set(`${r.before} → ${r.after}`, (transitions.get(`${r.before} → ${r.after}`) ?? 0) + 1);
      out(
        `\n${o.dryRun ? 'Dry run (nothing recorded)' : `Replay ${replayId}`} from ${o.from}: ${done.length} re-decided` +
          ` (${changed.length} changed${transitions.size ? `: ${[...transitions].map(([k, n]) => `${k} ×${n}`).join(', ')}` : ''}; ${done.length - changed.length} unchanged),` +
          ` ${skipped.length} skipped, ${failed.length} failed. No document was read or OCRed again.`,
      );
    }
    for (const r of undelivered) {
      if (r.move?.error)
        err(
          `docroute replay: ${r.documentId.slice(0, 12)}: decision recorded, delivery failed (${r.move.error.name}); the next docroute command retries it`,
        );
    }
    if (failed.length > 0) return EXIT.DOCUMENTS_FAILED;
    if (undelivered.length > 0) return EXIT.NOTIFY_FAILED;
    return EXIT.OK;
  } finally {
    await runtime.close();
  }
};

export const registerReplayCommand = (program: Command, deps: Deps): Command =>
  program
    .command('replay')
    .description(
      're-decide routed documents from a step with the current config, using the cached extraction (never a second OCR); ' +
        'each gets a new decision linked to the old one. Reviewer decisions are never replayed',
    )
    .argument('[docs...]', 'document ids, id prefixes, or file paths')
    .addOption(
      new Option('--from <step>', 'the first step to re-run').choices(['classify', 'extract-fields', 'validate']).makeOptionMandatory(),
    )
    .option('--batch <id>', 'every document of a batch ("latest" for the newest)')
    .addOption(new Option('--route <outcome>', 'every document currently at this route').choices([...OUTCOMES]))
    .option('--dry-run', 'show what would change, record nothing')
    .action(async (refs: string[], o: ReplayOptions) => deps.setCode(await commandReplay(deps, refs, o)));
