// The Pastry routing table: row l holds nodes that share exactly l digits with us, one per value of
// digit l (2^b - 1 useful columns per row). In our WebRTC overlay every entry is an open link, so
// the table is also the list of links we keep for routing. Among several candidates for one slot
// the lower round-trip time wins (proximity neighbour selection).

import { digit, sharedPrefixDigits, type NodeId } from './id.js';

export interface Slot {
  readonly row: number;
  readonly column: number;
}

export class RoutingTable {
  private readonly rows: (NodeId | undefined)[][] = [];
  readonly columns: number;
  readonly maxRows: number;
  private size = 0;

  constructor(
    readonly self: NodeId,
    readonly bitsPerDigit: number,
  ) {
    this.columns = 1 << bitsPerDigit;
    this.maxRows = 128 / bitsPerDigit;
  }

  /** Where `id` would sit in this table (undefined for ourselves). */
  slotOf(id: NodeId): Slot | undefined {
    if (id === this.self) return undefined;
    const row = this.rowOf(id);
    return { row, column: digit(id, row, this.bitsPerDigit) };
  }

  // has/occupantOf/set run on every frame and candidate: they use the row and column directly
  // instead of allocating a Slot.
  private rowOf(id: NodeId): number {
    return sharedPrefixDigits(this.self, id, this.bitsPerDigit);
  }

  /** The occupant of the slot `id` would take, or undefined (also for ourselves). */
  occupantOf(id: NodeId): NodeId | undefined {
    if (id === this.self) return undefined;
    const row = this.rowOf(id);
    return this.rows[row]?.[digit(id, row, this.bitsPerDigit)];
  }

  get(row: number, column: number): NodeId | undefined {
    return this.rows[row]?.[column];
  }

  /** Entries of row `index` (holes skipped). */
  row(index: number): NodeId[] {
    const r = this.rows[index];
    return r ? (r.filter((x) => x !== undefined) as NodeId[]) : [];
  }

  /** Number of rows that hold at least one entry, counting from row 0 up to the last non-empty one. */
  get rowCount(): number {
    for (let i = this.rows.length - 1; i >= 0; i--) if (this.row(i).length > 0) return i + 1;
    return 0;
  }

  get count(): number {
    return this.size;
  }

  entries(): NodeId[] {
    const all: NodeId[] = [];
    for (const r of this.rows) if (r) for (const id of r) if (id !== undefined) all.push(id);
    return all;
  }

  has(id: NodeId): boolean {
    return this.occupantOf(id) === id; // undefined for ourselves
  }

  /** Puts `id` into its slot, returning the entry it displaced (if any). */
  set(id: NodeId): NodeId | undefined {
    if (id === this.self) return undefined;
    const rowIndex = this.rowOf(id);
    const column = digit(id, rowIndex, this.bitsPerDigit);
    const row = (this.rows[rowIndex] ??= new Array(this.columns).fill(undefined));
    const previous = row[column];
    if (previous === id) return undefined;
    if (previous === undefined) this.size++;
    row[column] = id;
    return previous;
  }

  remove(id: NodeId): Slot | undefined {
    const slot = this.slotOf(id);
    if (!slot || this.get(slot.row, slot.column) !== id) return undefined;
    this.rows[slot.row][slot.column] = undefined;
    this.size--;
    return slot;
  }
}
