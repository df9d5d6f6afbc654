// Counters of what the IM layer dropped or rejected, and why (STYLE: bad input is dropped and
// counted, never thrown into the node).

export class ImStats {
  private readonly counts = new Map<string, number>();

  count(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  get(reason: string): number {
    return this.counts.get(reason) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
