/** The outcome of one item of a round. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Group commit: items submitted while a round runs are handled together in the next round, so N
 * concurrent callers pay for a costly shared step (taking lock files, writing the state file) about
 * twice rather than N times. `runRound` returns one outcome per item, in order; if it throws, every
 * item of that round fails with that error. Rounds never overlap.
 */
export class BatchRunner<I, O> {
  private pending: Array<{ item: I; resolve: (value: O) => void; reject: (error: unknown) => void }> = [];
  private running = false;

  constructor(private readonly runRound: (items: readonly I[]) => Promise<ReadonlyArray<Settled<O>>>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const round = this.pending;
        this.pending = [];
        let outcomes: ReadonlyArray<Settled<O>>;
        try {
          outcomes = await this.runRound(round.map((entry) => entry.item));
        } catch (err) {
          round.forEach((entry) => entry.reject(err));
          continue;
        }
        round.forEach((entry, i) => {
          const outcome = outcomes[i];
          if (!outcome) entry.reject(new Error(`Batch round returned no outcome for item ${i}`));
          else if (outcome.ok) entry.resolve(outcome.value);
          else entry.reject(outcome.error);
        });
      }
    } finally {
      this.running = false;
    }
  }
}
