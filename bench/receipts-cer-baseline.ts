/**
 * OCR character error rate on the SROIE receipts: the pipeline's extraction vs native tesseract run
 * directly with default settings on the same images (the baseline), side by side.
 *
 * Run `docroute eval extraction ../shared/datasets/receipts --split holdout --data-dir <dir>` first
 * (it fills the Extract checkpoints), then: npx tsx bench/receipts-cer-baseline.ts <dir> [holdout|tune|all]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { characterErrorRate, inSplit, type Split } from '../src/domain/evaluation.js';

const dataDir = process.argv[2];
const split = (process.argv[3] ?? 'holdout') as Split;
const receipts = path.resolve(import.meta.dirname, '../../shared/datasets/receipts');
if (!dataDir || !existsSync(path.join(dataDir, 'docroute.db')) || !existsSync(receipts)) {
  console.error('usage: npx tsx bench/receipts-cer-baseline.ts <data dir filled by eval> [split]  (needs ../shared/datasets)');
  process.exit(2);
}
const db = new Database(path.join(dataDir, 'docroute.db'), { readonly: true });
const names = readdirSync(receipts)
  .filter((n) => n.endsWith('.jpg'))
  .map((n) => n.replace(/\.jpg$/, ''))
  .filter((n) => inSplit(n, split, 1));
let native = 0;
let ours = 0;
let chars = 0;
let compared = 0;
for (const n of names) {
  const image = path.join(receipts, `${n}.jpg`);
  const id = createHash('sha256').update(readFileSync(image)).digest('hex');
  const row = db.prepare("SELECT value FROM checkpoints WHERE document_id = ? AND step = 'Extract'").get(id) as
    { value: string } | undefined;
  if (!row) continue;
  const reference = readFileSync(path.join(receipts, `${n}.txt`), 'utf8');
  const direct = execFileSync('tesseract', [image, 'stdout'], {
    env: { ...process.env, OMP_THREAD_LIMIT: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  const a = characterErrorRate(reference, direct);
  const b = characterErrorRate(reference, (JSON.parse(row.value) as { text: string }).text);
  native += a.distance;
  ours += b.distance;
  chars += a.referenceChars;
  compared += 1;
}
console.log(
  JSON.stringify({
    split,
    documents: compared,
    cerNativeDefault: +(native / chars).toFixed(4),
    cerPipeline: +(ours / chars).toFixed(4),
    ratio: +(ours / native).toFixed(3),
  }),
);
