/** How a job's wait for its environment's custom protection rules ended. */
export type GateOutcome = 'approved' | 'rejected' | 'timed_out';

/** Jobs waiting for their environment's custom deployment protection rules, by run and environment. */
export class ProtectionGates {
  private readonly gates = new Map<string, { left: number; settle: (o: GateOutcome) => void }>();

  /** Resolves when `rules` protection rules approved, one rejected, or `ms` passed. */
  wait(runId: number, environment: string, rules: number, ms: number): Promise<GateOutcome> {
    return new Promise((settle) => {
      const key = `${runId}:${environment}`;
      // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days): cap it there.
      const t = setTimeout(
        () => {
          this.gates.delete(key);
          settle('timed_out');
        },
        Math.min(ms, 2 ** 31 - 1),
      );
      t.unref();
      this.gates.set(key, {
        left: rules,
        settle: (o) => {
          clearTimeout(t);
          this.gates.delete(key);
          settle(o);
        },
      });
    });
  }

  /** Whether a job of the run waits on the environment's rules. */
  waiting(runId: number, environment: string): boolean {
    return this.gates.has(`${runId}:${environment}`);
  }

  /** One rule's answer: a rejection ends the wait, the last approval too, a comment-only review (null) changes nothing. */
  review(runId: number, environment: string, state: 'approved' | 'rejected' | null): boolean {
    const gate = this.gates.get(`${runId}:${environment}`);
    if (!gate) return false;
    if (state === 'rejected') gate.settle('rejected');
    else if (state === 'approved' && --gate.left <= 0) gate.settle('approved');
    return true;
  }
}
