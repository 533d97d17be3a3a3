/** Time, injected so steps stay deterministic under test. */
export interface Clock {
  now(): Date;
}
