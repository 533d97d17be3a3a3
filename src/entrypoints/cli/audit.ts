import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import { formatChainHead, parseChainHead, type AuditChainRow, type ChainHead, type ChainVerdict } from '../../domain/audit-chain.js';
import { openStore } from '../runtime.js';
import { EXIT } from './exit-codes.js';
import { rel } from './format.js';
import { err, out } from './io.js';

export interface AuditGlobals {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

interface Deps {
  readonly globals: () => AuditGlobals;
  readonly setCode: (code: number) => void;
  readonly load: (opts: AuditGlobals) => LoadedConfig;
}

const noData = (loaded: LoadedConfig, command: string): number => {
  err(`docroute audit ${command}: no docroute data in ${rel(loaded.config.dataDir)} yet`);
  return EXIT.NOT_FOUND;
};

const verdictJson = (v: ChainVerdict, anchor: ChainHead | undefined): unknown => ({
  ok: v.ok,
  rows: v.rows,
  head: v.head,
  // What to record elsewhere and pass back as --anchor next time.
  anchor: v.head ? formatChainHead(v.head) : null,
  ...(anchor ? { checkedAnchor: formatChainHead(anchor) } : {}),
  ...(v.ok ? {} : { problem: v.problem }),
});

const commandVerify = (deps: Deps, o: { anchor?: string }): number => {
  const opts = deps.globals();
  let anchor: ChainHead | undefined;
  if (o.anchor !== undefined) {
    const parsed = parseChainHead(o.anchor);
    if (!parsed) {
      err('docroute audit verify: --anchor takes <seq>:<sha-256 hex> (as printed by an earlier verify or export)');
      return EXIT.USAGE;
    }
    anchor = parsed;
  }
  const loaded = deps.load(opts);
  const store = openStore(loaded);
  if (!store) return noData(loaded, 'verify');
  try {
    const v = store.verifyAuditChain(anchor);
    if (opts.json) {
      out(JSON.stringify(verdictJson(v, anchor), null, 2));
    } else if (v.ok) {
      out(
        `OK  audit chain intact: ${v.rows} record${v.rows === 1 ? '' : 's'}` +
          (v.head ? `, head seq ${v.head.seq}\nanchor ${formatChainHead(v.head)}  (keep it elsewhere; pass it as --anchor next time)` : ''),
      );
    } else {
      const p = v.problem;
      out(
        `TAMPERED  ${p.kind} at seq ${p.seq}` +
          (p.at !== null ? ` (${p.at}, ${p.event ?? ''})` : '') +
          `: ${p.detail}\n${v.rows} record${v.rows === 1 ? '' : 's'} verified before it` +
          (v.head ? `; the last good one is ${formatChainHead(v.head)}` : ''),
      );
    }
    return v.ok ? EXIT.OK : EXIT.TAMPERED;
  } finally {
    store.close();
  }
};

const DURATION = /^(\d+)\s*(m|h|d|w)$/i;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** An ISO date or instant, or a duration back from `now` (30m, 24h, 7d, 2w); null when neither. */
export const parseSince = (s: string, now: Date): string | null => {
  const d = DURATION.exec(s.trim());
  if (d?.[1] && d[2]) {
    const unit = d[2].toLowerCase() as keyof typeof UNIT_MS;
    return new Date(now.getTime() - Number(d[1]) * UNIT_MS[unit]).toISOString();
  }
  // Dates and instants only: Date.parse alone would also take "5" or "March".
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s.trim())) return null;
  const t = Date.parse(s.trim());
  return Number.isNaN(t) ? null : new Date(t).toISOString();
};

/** One JSON Lines object: stable field names in a fixed order, absent values as null. */
export const exportLine = (r: AuditChainRow): string =>
  JSON.stringify({
    seq: r.seq,
    at: r.at,
    executionId: r.executionId,
    batchId: r.batchId,
    documentId: r.documentId,
    step: r.step,
    attempt: r.attempt,
    event: r.event,
    outcome: r.outcome,
    errorName: r.errorName,
    reasonCodes: r.reasonCodes,
    durationMs: r.durationMs,
    note: r.note,
    prevHash: r.prevHash,
    hash: r.hash,
  });

/** Lines batched into ~64 KiB writes; `write` applies backpressure. Returns the count and the last row. */
const streamLines = async (
  rows: Iterable<AuditChainRow>,
  write: (chunk: string) => Promise<void>,
): Promise<{ count: number; last: AuditChainRow | null }> => {
  let buffer = '';
  let count = 0;
  let last: AuditChainRow | null = null;
  for (const r of rows) {
    buffer += `${exportLine(r)}\n`;
    count += 1;
    last = r;
    if (buffer.length >= 65_536) {
      await write(buffer);
      buffer = '';
    }
  }
  if (buffer) await write(buffer);
  return { count, last };
};

const writeStdout = async (chunk: string): Promise<void> => {
  if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
};

interface ExportOptions {
  since: string;
  until?: string;
  output?: string;
}

const commandExport = async (deps: Deps, o: ExportOptions): Promise<number> => {
  const now = new Date();
  const since = parseSince(o.since, now);
  const until = o.until === undefined ? undefined : parseSince(o.until, now);
  if (since === null || until === null) {
    err(
      'docroute audit export: --since/--until take an ISO date or instant (2026-11-01, 2026-11-01T09:00:00Z) or a duration (30m, 24h, 7d, 2w)',
    );
    return EXIT.USAGE;
  }
  const loaded = deps.load(deps.globals());
  const store = openStore(loaded);
  if (!store) return noData(loaded, 'export');
  try {
    const rows = store.auditRows({ since, ...(until !== undefined ? { until } : {}) });
    if (o.output === undefined) {
      const { count } = await streamLines(rows, writeStdout);
      err(`docroute audit export: ${count} record${count === 1 ? '' : 's'} since ${since}${until ? ` until ${until}` : ''}`);
      return EXIT.OK;
    }
    // Temp file and rename: a reader (or a SIEM shipper) never sees half an export.
    const target = path.resolve(o.output);
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      const { count, last } = await streamLines(rows, async (chunk) => {
        await handle.write(chunk);
      });
      await handle.sync();
      await handle.close();
      await rename(temp, target);
      err(
        `docroute audit export: ${count} record${count === 1 ? '' : 's'} to ${rel(target)}` +
          (last?.hash ? `; last ${formatChainHead({ seq: last.seq, hash: last.hash })}` : ''),
      );
      return EXIT.OK;
    } catch (e) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw e;
    }
  } finally {
    store.close();
  }
};

export const registerAuditCommand = (program: Command, deps: Deps): Command => {
  const audit = program.command('audit').description('the tamper-evident audit trail: verify its hash chain, export it for a SIEM');
  audit
    .command('verify')
    .description('walk the whole hash chain; name the first bad record and how it was tampered with (exit 9)')
    .option('--anchor <seq:hash>', 'a head recorded elsewhere (from an earlier verify or export): catches a rewritten or cut chain')
    .action((o: { anchor?: string }) => deps.setCode(commandVerify(deps, o)));
  audit
    .command('export')
    .description('audit records as JSON Lines (ids, steps, events, reason codes and hashes; never document content)')
    .requiredOption('--since <when>', 'an ISO date or instant, or a duration back from now (24h, 7d)')
    .option('--until <when>', 'exclusive end, same forms as --since')
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .action(async (o: ExportOptions) => deps.setCode(await commandExport(deps, o)));
  return audit;
};
