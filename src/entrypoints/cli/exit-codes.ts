/** Documented in the README; scripts rely on them. */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  DOCUMENTS_FAILED: 3,
  BATCH_FAILED: 4,
  NOTIFY_FAILED: 5,
  NOT_FOUND: 6,
  /** `rules test`: a fixture's expectation was not met. */
  CHECKS_FAILED: 7,
  /** `review`: the document is not awaiting review (decided already, or another decision won). */
  CONFLICT: 8,
  /** `audit verify`: the audit chain is broken (edited, deleted, inserted, reordered or truncated records). */
  TAMPERED: 9,
  INTERRUPTED: 130,
} as const;
