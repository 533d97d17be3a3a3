import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import { ConfigError, DependencyUnavailableError } from '../../domain/errors.js';
import { checkReviewInput } from '../../domain/review.js';

/**
 * API tokens for `docroute serve`, in the store's SQLite file (`api_tokens`).
 *
 * A token is `drt_` + 32 random bytes (base64url). It is shown once, when created; only its
 * SHA-256 is kept, so a copy of the database does not let anyone in. A token's name is the
 * reviewer id recorded with the decisions made through it, so it follows the reviewer-id rule.
 */

export const TOKEN_ROLES = ['viewer', 'reviewer', 'admin'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** Who a token stands for. Shaped like the server's Principal, which adds how it was presented. */
export interface TokenIdentity {
  readonly tokenId: string;
  readonly name: string;
  readonly role: TokenRole;
}

/** A token as listed: never its hash, never the token. */
export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: TokenRole;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export type RevokeResult = 'revoked' | 'already-revoked' | 'not-found';

const TOKEN_PREFIX = 'drt_';
/** 32 bytes in base64url without padding: 43 characters. */
const TOKEN_SHAPE = /^drt_[A-Za-z0-9_-]{43}$/;
/** `last_used_at` is a hint for `tokens list`, not an access log: one write a minute at most. */
const LAST_USED_RESOLUTION_MS = 60_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer','reviewer','admin')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
`;

interface TokenRow {
  id: string;
  name: string;
  role: TokenRole;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const hashOf = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const isTokenRole = (value: string): value is TokenRole => (TOKEN_ROLES as readonly string[]).includes(value);

/** Why a token name is refused, or null: the reviewer-id rule of `docroute review`. */
export const checkTokenName = (name: string): string | null =>
  // The reason argument is a placeholder that passes: only the reviewer-id rule applies here.
  checkReviewInput(name, 'token name check');

export class SqliteTokenStore {
  private readonly db: Database.Database;
  private readonly now: () => Date;

  constructor(file: string, options: { now?: () => Date } = {}) {
    this.now = options.now ?? (() => new Date());
    try {
      this.db = new Database(file);
      // The store sets WAL too; setting it here as well keeps a token created before the first
      // batch from leaving the file in rollback-journal mode.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new DependencyUnavailableError(`cannot open the token table (${(err as { code?: string }).code ?? 'error'})`);
    }
  }

  /** Creates a token; the returned `token` exists nowhere else and cannot be recovered later. */
  create(input: { name: string; role: TokenRole }): { id: string; token: string } {
    const problem = checkTokenName(input.name);
    if (problem) throw new ConfigError(`token name: ${problem}`);
    if (!isTokenRole(input.role)) throw new ConfigError(`token role: expected one of ${TOKEN_ROLES.join(', ')}`);
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = `tok-${randomBytes(6).toString('hex')}`;
    this.db
      .prepare('INSERT INTO api_tokens (id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, input.name, input.role, hashOf(token), this.now().toISOString());
    return { id, token };
  }

  list(): TokenInfo[] {
    return this.db
      .prepare<[], Omit<TokenRow, 'token_hash'>>(
        'SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY created_at, id',
      )
      .all()
      .map((r) => ({
        id: r.id,
        name: r.name,
        role: r.role,
        createdAt: r.created_at,
        lastUsedAt: r.last_used_at,
        revokedAt: r.revoked_at,
      }));
  }

  /** True when at least one token can still sign in (`docroute serve` refuses to start otherwise). */
  hasActive(): boolean {
    return this.db.prepare('SELECT 1 FROM api_tokens WHERE revoked_at IS NULL LIMIT 1').get() !== undefined;
  }

  revoke(id: string): RevokeResult {
    const row = this.db.prepare<[string], { revoked_at: string | null }>('SELECT revoked_at FROM api_tokens WHERE id = ?').get(id);
    if (!row) return 'not-found';
    if (row.revoked_at !== null) return 'already-revoked';
    this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.now().toISOString(), id);
    return 'revoked';
  }

  /**
   * Who presents this token, or null (unknown, malformed or revoked). Looks the token up by its
   * hash, then compares the hashes in constant time.
   */
  authenticate(token: string): TokenIdentity | null {
    if (!TOKEN_SHAPE.test(token)) return null;
    const hash = hashOf(token);
    const row = this.db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE token_hash = ?').get(hash);
    if (!row || !timingSafeEqual(Buffer.from(row.token_hash, 'utf8'), Buffer.from(hash, 'utf8')) || row.revoked_at !== null) return null;
    this.touch(row);
    return { tokenId: row.id, name: row.name, role: row.role };
  }

  /**
   * The identity of a token by id while it is not revoked: a browser session re-checks its token
   * on every request, so revoking a token (from any process) ends its sessions too.
   */
  active(id: string): TokenIdentity | null {
    const row = this.db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ? AND revoked_at IS NULL').get(id);
    if (!row) return null;
    this.touch(row);
    return { tokenId: row.id, name: row.name, role: row.role };
  }

  close(): void {
    this.db.close();
  }

  private touch(row: TokenRow): void {
    const now = this.now();
    const last = row.last_used_at ? Date.parse(row.last_used_at) : Number.NaN;
    if (Number.isFinite(last) && now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
    try {
      this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now.toISOString(), row.id);
    } catch {
      // A busy database must not turn a valid sign-in into an error: the hint is simply not updated.
    }
  }
}
