import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import { SqliteTokenStore, TOKEN_ROLES, checkTokenName, type TokenRole } from '../../adapters/local/sqlite-tokens.js';
import { EXIT } from './exit-codes.js';
import { rel, table } from './format.js';
import { err, out } from './io.js';

/**
 * `docroute tokens create|list|revoke`: the API tokens `docroute serve` accepts. A token is printed
 * once, when created; the database keeps only its hash.
 */

export interface TokensGlobals {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

interface Deps {
  readonly globals: () => TokensGlobals;
  readonly setCode: (code: number) => void;
  readonly load: (opts: TokensGlobals) => LoadedConfig;
}

export const tokenDbFile = (dataDir: string): string => path.join(dataDir, 'docroute.db');

const when = (iso: string | null): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

const withTokens = <T>(deps: Deps, create: boolean, fn: (tokens: SqliteTokenStore) => T): T | null => {
  const { dataDir } = deps.load(deps.globals()).config;
  const file = tokenDbFile(dataDir);
  if (!create && !existsSync(file)) return null;
  mkdirSync(dataDir, { recursive: true });
  const tokens = new SqliteTokenStore(file);
  try {
    return fn(tokens);
  } finally {
    tokens.close();
  }
};

const commandCreate = (deps: Deps, o: { name: string; role: TokenRole }): number => {
  const problem = checkTokenName(o.name);
  if (problem) {
    err(`docroute tokens create: --name: ${problem}`);
    return EXIT.USAGE;
  }
  const created = withTokens(deps, true, (tokens) => tokens.create({ name: o.name, role: o.role }));
  if (!created) return EXIT.INTERNAL;
  if (deps.globals().json) {
    out(JSON.stringify({ id: created.id, name: o.name, role: o.role, token: created.token }));
  } else {
    out(`Created token ${created.id} for ${o.name} (role ${o.role}):\n\n  ${created.token}\n`);
  }
  err(
    `Store this token now (a password manager or secret store): it is shown only this once and cannot be recovered. ` +
      `Revoke it with \`docroute tokens revoke ${created.id}\`.`,
  );
  return EXIT.OK;
};

const commandList = (deps: Deps): number => {
  const list = withTokens(deps, false, (tokens) => tokens.list()) ?? [];
  if (deps.globals().json) {
    out(JSON.stringify(list, null, 2));
    return EXIT.OK;
  }
  if (list.length === 0) {
    const { dataDir } = deps.load(deps.globals()).config;
    out(`No API tokens in ${rel(dataDir)} yet. Create one with: docroute tokens create --role admin --name <you>`);
    return EXIT.OK;
  }
  out(
    table(
      list.map((t) => [
        t.id,
        t.name,
        t.role,
        when(t.createdAt),
        when(t.lastUsedAt),
        t.revokedAt ? `revoked ${when(t.revokedAt)}` : 'active',
      ]),
      ['id', 'name', 'role', 'created (UTC)', 'last used (UTC)', 'status'],
    ),
  );
  return EXIT.OK;
};

const commandRevoke = (deps: Deps, id: string): number => {
  const result = withTokens(deps, false, (tokens) => tokens.revoke(id)) ?? 'not-found';
  switch (result) {
    case 'not-found':
      err(`docroute tokens revoke: no token ${id} (see \`docroute tokens list\`)`);
      return EXIT.NOT_FOUND;
    case 'already-revoked':
      out(`Token ${id} was already revoked.`);
      return EXIT.OK;
    case 'revoked':
      out(`Revoked token ${id}: it no longer signs in, and its browser sessions end.`);
      return EXIT.OK;
  }
};

export const registerTokensCommand = (program: Command, deps: Deps): Command => {
  const tokens = program.command('tokens').description('API tokens for `docroute serve` (shown once when created; only a hash is kept)');
  tokens
    .command('create')
    .description('create a token and print it once')
    .requiredOption('--name <id>', 'who uses it: the reviewer id recorded with their decisions')
    .addOption(new Option('--role <role>', 'what it may do').choices([...TOKEN_ROLES]).makeOptionMandatory())
    .action((o: { name: string; role: TokenRole }) => deps.setCode(commandCreate(deps, o)));
  tokens
    .command('list')
    .description('tokens with their role, creation and last use (never the token)')
    .action(() => deps.setCode(commandList(deps)));
  tokens
    .command('revoke')
    .description('revoke a token at once (its browser sessions end too)')
    .argument('<id>', 'a token id from `tokens list`')
    .action((id: string) => deps.setCode(commandRevoke(deps, id)));
  return tokens;
};
