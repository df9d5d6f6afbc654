// What one node holds: the size of every Map, Set and array reachable from it, by path. A leak in a
// long-lived tab is a collection that keeps growing with the peers, frames or time it has seen; read
// at two moments, the paths whose sizes grew are the suspects (tests/sim/long-tab.test.ts,
// bench/long-tab.bench.ts). Closures cannot be looked into: state a closure captures is not seen.

/** Path (property names from the root, `[]` for a collection's elements) -> size. */
export type Footprint = Map<string, number>;

export interface FootprintOptions {
  /** Objects not to enter: what the node shares with others (clock, network, other nodes). */
  stopAt: (value: object) => boolean;
  /** Objects entered at most (a guard against walking a whole world by mistake). */
  maxObjects?: number;
}

/**
 * Walks own enumerable properties, Map keys and values, Set and array elements, from `root`. Each
 * collection reports its size under the first path that reached it; elements of one collection
 * share a path, so a collection inside each element reports the largest size seen under that path.
 */
export function footprint(root: object, options: FootprintOptions): Footprint {
  const sizes: Footprint = new Map();
  const seen = new Set<object>();
  const maxObjects = options.maxObjects ?? 1_000_000;
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  const record = (path: string, size: number) => sizes.set(path, Math.max(sizes.get(path) ?? 0, size));
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    if (value !== root && options.stopAt(value)) continue;
    if (ArrayBuffer.isView(value)) continue; // bytes, not a collection of things
    seen.add(value);
    if (seen.size > maxObjects) throw new Error(`footprint: more than ${maxObjects} objects reachable: a shared object is not stopped at`);
    if (value instanceof Map) {
      record(path, value.size);
      for (const [key, entry] of value) {
        stack.push({ value: key, path: `${path}[]key` });
        stack.push({ value: entry, path: `${path}[]` });
      }
    } else if (value instanceof Set) {
      record(path, value.size);
      for (const entry of value) stack.push({ value: entry, path: `${path}[]` });
    } else if (Array.isArray(value)) {
      record(path, value.length);
      for (const entry of value) stack.push({ value: entry, path: `${path}[]` });
    } else {
      for (const [name, entry] of Object.entries(value)) stack.push({ value: entry, path: path ? `${path}.${name}` : name });
    }
  }
  return sizes;
}

/** The largest size each path had in any of `footprints` (e.g. over several long-lived nodes). */
export function largestOf(footprints: Footprint[]): Footprint {
  const out: Footprint = new Map();
  for (const sizes of footprints) for (const [path, size] of sizes) out.set(path, Math.max(out.get(path) ?? 0, size));
  return out;
}
