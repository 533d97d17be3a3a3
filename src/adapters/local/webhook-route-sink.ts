import type { Outcome, RouteResult } from '../../domain/document.js';
import { ConfigError, DependencyUnavailableError, ThrottledError } from '../../domain/errors.js';
import type { RouteSink } from '../../ports/route-sink.js';

/** One outcome's webhook, as configured under `route.destinations.<outcome>.webhook`. */
export interface RouteWebhookTarget {
  readonly url: string;
  readonly timeoutMs: number;
  /** Header name -> NAME of the environment variable holding its value. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Reads a secret by variable name (the entry point passes `secretFromEnv`); undefined or empty when unset. */
export type SecretLookup = (name: string) => string | undefined;

interface ResolvedTarget {
  readonly url: string;
  readonly location: string;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
}

const OUTCOMES: readonly Outcome[] = ['pass', 'hold', 'reject'];

/** Where a delivery went, without a query string or fragment (they may carry tokens). */
const locationOf = (url: string): string => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

/**
 * POSTs each decision record, as JSON, to its outcome's webhook. Receivers get it at least once:
 * the state machine retries the Route step, so the same decision can arrive again, always with the
 * same `idempotency-key` (`<documentId>:<decision version>:<outcome>`) for them to de-duplicate on.
 *
 * Header values are read from the environment once, here, so a missing secret stops the pipeline
 * at start-up rather than failing every document. Errors name variables and outcomes, never values,
 * URLs (a path can hold a token) or anything the receiver answered.
 */
export class WebhookRouteSink implements RouteSink {
  private readonly targets: Partial<Record<Outcome, ResolvedTarget>> = {};

  constructor(targets: Readonly<Partial<Record<Outcome, RouteWebhookTarget>>>, secret: SecretLookup) {
    for (const outcome of OUTCOMES) {
      const target = targets[outcome];
      if (target === undefined) continue;
      const headers: Record<string, string> = {};
      for (const [name, variable] of Object.entries(target.headers ?? {})) {
        const value = secret(variable);
        if (value === undefined || value === '') {
          throw new ConfigError(
            `environment variable ${variable} is not set; route.destinations.${outcome}.webhook.headers.${name} needs it`,
          );
        }
        try {
          new Headers({ [name]: value });
        } catch {
          throw new ConfigError(
            `environment variable ${variable} does not hold a valid value for header ${name} (route.destinations.${outcome}.webhook)`,
          );
        }
        headers[name] = value;
      }
      let location: string;
      try {
        location = locationOf(target.url);
      } catch {
        throw new ConfigError(`route.destinations.${outcome}.webhook.url is not a valid URL`);
      }
      this.targets[outcome] = { url: target.url, location, timeoutMs: target.timeoutMs, headers };
    }
  }

  /** The outcomes that have a webhook: the ones to register this sink for. */
  get outcomes(): readonly Outcome[] {
    return OUTCOMES.filter((o) => this.targets[o] !== undefined);
  }

  locate(outcome: Outcome, _result: RouteResult): string {
    const target = this.targets[outcome];
    if (!target) throw new ConfigError(`no webhook is configured for the ${outcome} route`);
    return target.location;
  }

  async deliver(outcome: Outcome, result: RouteResult): Promise<{ location: string }> {
    const target = this.targets[outcome];
    if (target === undefined) throw new ConfigError(`no webhook is configured for the ${outcome} outcome`);
    const version = result.decision?.version ?? 1;
    // `set` replaces whatever a configured header of the same name held: the key is always ours.
    const headers = new Headers(target.headers);
    headers.set('content-type', 'application/json');
    headers.set('user-agent', 'docroute');
    headers.set('idempotency-key', `${result.documentId}:${version}:${outcome}`);
    headers.set('x-docroute-outcome', outcome);
    let res: Response;
    try {
      res = await fetch(target.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(result),
        // A redirect would replay the body and the secret headers to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(target.timeoutMs),
      });
    } catch (err) {
      const why = err instanceof Error && err.name === 'TimeoutError' ? `timed out after ${target.timeoutMs} ms` : 'unreachable';
      throw new DependencyUnavailableError(`the ${outcome} webhook is ${why}`);
    }
    // The receiver's answer is not ours to keep or log; release the connection.
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 429) throw new ThrottledError(`the ${outcome} webhook answered 429`);
    if (res.status >= 500) throw new DependencyUnavailableError(`the ${outcome} webhook answered ${res.status}`);
    if (res.status < 200 || res.status >= 300) {
      throw new ConfigError(`the ${outcome} webhook refused the decision with ${res.status}; check route.destinations.${outcome}.webhook`);
    }
    return { location: target.location };
  }

  /**
   * Nothing to do: a receiver cannot be asked to forget a decision. It learns that a document moved
   * from the next decision it gets, whose `decision.supersedes` names the version and outcome it
   * replaces.
   */
  withdraw(_location: string): Promise<void> {
    return Promise.resolve();
  }
}
