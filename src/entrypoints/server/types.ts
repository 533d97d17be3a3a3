import type { Runtime } from '../runtime.js';

/**
 * The contract between the server's parts (auth and app skeleton, the JSON API, the web UI).
 * `docroute serve` builds one `ServerDeps` over the same data directory and engine as the CLI.
 */

export type Role = 'viewer' | 'reviewer' | 'admin';

/** viewer < reviewer < admin: a role may do everything the roles below it may. */
export const ROLE_RANK: Record<Role, number> = { viewer: 1, reviewer: 2, admin: 3 };

/** Who is calling: from an API token (Bearer) or a browser session that was opened with one. */
export interface Principal {
  readonly tokenId: string;
  /** The token's name: the reviewer id recorded with review decisions (never taken from a request body). */
  readonly name: string;
  readonly role: Role;
  readonly via: 'bearer' | 'session';
}

/** Hono's typed context variables: `c.get('principal')` after the auth middleware. */
export interface AppEnv {
  Variables: {
    principal: Principal;
    /** The session's CSRF token, for forms the UI renders (absent for Bearer calls). */
    csrfToken: string | undefined;
  };
}

export interface ServerDeps {
  readonly runtime: Runtime;
  /** Uploads waiting for the next batch (`?process=now` runs them at once). */
  readonly uploadsDir: string;
  /** Largest accepted upload, in bytes (413 above it); defaults to the config's limits.maxFileBytes. */
  readonly maxUploadBytes: number;
  /** Runs the queued uploads now as one batch (the serve loop also calls it every few seconds). */
  readonly processQueued: () => Promise<unknown>;
  readonly now: () => Date;
}
