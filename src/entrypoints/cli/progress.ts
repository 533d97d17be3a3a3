/**
 * A one-line progress bar on stderr, drawn only on a TTY (pipes and CI logs get none). It shows
 * counts per outcome, never document names (file names can be customer data too).
 */
export class ProgressBar {
  private done = 0;
  private readonly counts = { pass: 0, hold: 0, reject: 0, failed: 0 };
  private lastDraw = 0;
  constructor(
    private total: number,
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  reset(total: number): void {
    this.total = total;
    this.done = 0;
    this.counts.pass = this.counts.hold = this.counts.reject = this.counts.failed = 0;
  }

  tick(outcome: 'pass' | 'hold' | 'reject' | 'failed'): void {
    this.done += 1;
    this.counts[outcome] += 1;
    const now = Date.now();
    if (now - this.lastDraw > 80 || this.done === this.total) {
      this.lastDraw = now;
      this.draw();
    }
  }

  private draw(): void {
    if (!this.enabled || this.total === 0) return;
    const width = 28;
    const filled = Math.round((this.done / this.total) * width);
    const c = this.counts;
    this.stream.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total}  pass ${c.pass}  hold ${c.hold}  reject ${c.reject}  failed ${c.failed}\x1b[K`,
    );
  }

  finish(): void {
    if (this.enabled && this.total > 0) this.stream.write('\n');
  }
}
