import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { queueUpload } from '../../src/entrypoints/server/api-uploads.js';
import { assertBuilt, cli, cliAsync } from '../helpers/cli.js';
import { passingInvoice, tempDir } from '../helpers/docs.js';

const TOKEN = /drt_[A-Za-z0-9_-]{43}/g;

const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
};

const routed = (data: string): number => {
  const db = new Database(path.join(data, 'docroute.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM routes').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** Starts `docroute serve` and resolves with its URL once it prints it. */
const startServe = async (
  args: readonly string[],
): Promise<{ child: ChildProcess; url: string; out: () => string; err: () => string; exited: Promise<number | null> }> => {
  const child = cliAsync(['serve', ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const found = await waitFor(() => done || /listening on (http:\/\/\S+)/.test(stdout), 60_000);
  const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
  if (!found || !url) {
    child.kill('SIGKILL');
    throw new Error(`serve did not start:\n${stdout}\n${stderr}`);
  }
  return { child, url, out: () => stdout, err: () => stderr, exited };
};

describe('docroute tokens', () => {
  it('prints a new token once; list and revoke never show it', () => {
    assertBuilt();
    const data = path.join(tempDir('tokens'), 'data');
    const created = cli(['tokens', 'create', '--name', 'alice', '--role', 'reviewer', '--data-dir', data]);
    expect(created.code).toBe(EXIT.OK);
    const shown = `${created.stdout}${created.stderr}`.match(TOKEN) ?? [];
    expect(shown).toHaveLength(1);
    expect(created.stdout).toContain(shown[0]);
    expect(created.stderr).toMatch(/store this token now/i);
    const id = /Created token (tok-[0-9a-f]+)/.exec(created.stdout)?.[1] ?? '';
    expect(id).not.toBe('');

    const listed = cli(['tokens', 'list', '--data-dir', data]);
    expect(listed.code).toBe(EXIT.OK);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('alice');
    expect(listed.stdout).toContain('active');
    expect(`${listed.stdout}${listed.stderr}`).not.toMatch(TOKEN);

    const json = cli(['tokens', 'list', '--json', '--data-dir', data]);
    expect(json.code).toBe(EXIT.OK);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([expect.objectContaining({ id, name: 'alice', role: 'reviewer', revokedAt: null })]);
    expect(Object.keys(rows[0] ?? {})).not.toEqual(expect.arrayContaining([expect.stringMatching(/hash|token/i)]));
    expect(json.stdout).not.toMatch(TOKEN);

    const revoked = cli(['tokens', 'revoke', id, '--data-dir', data]);
    expect(revoked.code).toBe(EXIT.OK);
    expect(cli(['tokens', 'list', '--data-dir', data]).stdout).toMatch(/revoked/);
    expect(cli(['tokens', 'revoke', 'tok-000000000000', '--data-dir', data]).code).toBe(EXIT.NOT_FOUND);
  });

  it('refuses a name that is not a reviewer id, and an unknown role', () => {
    const data = path.join(tempDir('tokens-bad'), 'data');
    const bad = cli(['tokens', 'create', '--name', 'alice smith', '--role', 'admin', '--data-dir', data]);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.stderr).toMatch(/reviewer id/);
    expect(cli(['tokens', 'create', '--name', 'alice', '--role', 'root', '--data-dir', data]).code).toBe(EXIT.USAGE);
    expect(cli(['tokens', 'create', '--name', 'alice', '--data-dir', data]).code).toBe(EXIT.USAGE);
  });
});

describe('docroute serve', () => {
  it('refuses to start without a token, and says how to create one', () => {
    assertBuilt();
    const data = path.join(tempDir('serve-none'), 'data');
    const r = cli(['serve', '--port', '0', '--data-dir', data]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('docroute tokens create --role admin --name <you>');
  });

  it('starts on a free port, answers /healthz, runs queued uploads, and stops cleanly on SIGTERM', async () => {
    assertBuilt();
    const data = path.join(tempDir('serve'), 'data');
    const created = cli(['tokens', 'create', '--name', 'ops', '--role', 'admin', '--json', '--data-dir', data]);
    const { token } = JSON.parse(created.stdout) as { token: string };

    const server = await startServe(['--port', '0', '--batch-interval-ms', '200', '--data-dir', data]);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.url).not.toMatch(/:0$/);
      expect(server.err()).not.toMatch(/WARNING/);

      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', store: 'ok' });
      expect(health.headers.get('content-security-policy')).toContain("default-src 'self'");

      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      const metrics = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      expect(metrics.status).toBe(200);

      // An upload queued the way the API queues it is run by the loop, then leaves the queue.
      const uploads = path.join(data, 'uploads');
      await queueUpload(uploads, 'invoice.pdf', await passingInvoice(7));
      expect(await waitFor(() => routed(data) === 1, 60_000)).toBe(true);
      expect(await waitFor(() => readdirSync(uploads).filter((f) => !f.startsWith('.')).length === 0, 30_000)).toBe(true);
      expect(server.out()).not.toMatch(TOKEN);
      expect(server.err()).not.toMatch(TOKEN);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited, `serve stderr:\n${server.err()}`).toBe(EXIT.OK);
    expect(server.err()).toMatch(/stopped/);
    // The document was recorded under its uploaded name.
    const db = new Database(path.join(data, 'docroute.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT name FROM documents').all()).toEqual([{ name: 'invoice.pdf' }]);
    } finally {
      db.close();
    }
    expect(readFileSync(path.join(data, 'docroute.db')).includes(Buffer.from(token))).toBe(false);
  }, 120_000);

  it('warns loudly when listening beyond loopback', async () => {
    const data = path.join(tempDir('serve-open'), 'data');
    cli(['tokens', 'create', '--name', 'ops', '--role', 'admin', '--data-dir', data]);
    const server = await startServe(['--port', '0', '--host', '0.0.0.0', '--data-dir', data]);
    server.child.kill('SIGTERM');
    expect(await server.exited, `serve stderr:\n${server.err()}`).toBe(EXIT.OK);
    expect(server.err()).toMatch(/WARNING: .*non-loopback/);
  }, 120_000);
});
