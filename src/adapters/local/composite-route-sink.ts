import type { Outcome, RouteResult } from '../../domain/document.js';
import type { RouteSink } from '../../ports/route-sink.js';

/**
 * One primary sink for every outcome, plus extra sinks per outcome that each get the decision after
 * the primary has it (the folder first, then that outcome's webhook). The primary's location is the
 * one returned and recorded, so `withdraw` goes to the primary alone: extras have nothing to take back.
 *
 * Any failure fails the delivery, and the state machine retries the Route step. That repeats the
 * deliveries that had succeeded, which the port contract makes harmless (idempotent per decision).
 * Extras run one at a time, in the order given.
 *
 * When an extra fails, the primary's entry is withdrawn before the error propagates: a document
 * whose delivery did not complete must not sit in a route folder that downstream systems consume
 * (after the retries are exhausted the document ends as failed, with no entry anywhere). A retry
 * delivers it again. Review and replay moves record their decision first, so there the entry
 * reappears when the pending move is settled by the next command.
 */
export class CompositeRouteSink implements RouteSink {
  constructor(
    private readonly primary: RouteSink,
    private readonly extras: Readonly<Partial<Record<Outcome, readonly RouteSink[]>>> = {},
  ) {}

  locate(outcome: Outcome, result: RouteResult): string {
    return this.primary.locate(outcome, result);
  }

  async deliver(outcome: Outcome, result: RouteResult): Promise<{ location: string }> {
    const delivered = await this.primary.deliver(outcome, result);
    try {
      for (const sink of this.extras[outcome] ?? []) await sink.deliver(outcome, result);
    } catch (err) {
      await this.primary.withdraw(delivered.location).catch(() => undefined);
      throw err;
    }
    return delivered;
  }

  withdraw(location: string): Promise<void> {
    return this.primary.withdraw(location);
  }
}
