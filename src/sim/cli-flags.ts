// What the simulator's command lines (cli.ts, merge-cli.ts) share: flags that take one value each,
// as node:util parseArgs wants them declared. The callers parse and check each value themselves.

export function valueFlags<const N extends string>(...names: N[]): Record<N, { type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as Record<N, { type: 'string' }>;
}
