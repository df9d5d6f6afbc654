// The lint step's unused-export check (scripts/unused-exports.ts) on a small project of its own:
// it must name exactly the exports nothing imports, however the others are reached.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unusedExports } from '../../scripts/unused-exports.js';

const project = mkdtempSync(join(tmpdir(), 'dima-unused-exports-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

function write(files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), text);
  }
  return join(project, 'tsconfig.json');
}

describe('unused exports', () => {
  it('names an export nothing uses and one only its own file uses, but none that is imported (also through a barrel, `* as` or `import()`), read by a runner, or a type the exports of its own file use', () => {
    const config = write({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'ESNext', moduleResolution: 'Bundler', noEmit: true }, include: ['src', 'bench'] }),
      'src/a.ts': [
        'export const imported = 1;',
        'export const dead = 2;',
        'export const onlyHere = 3;',
        'export const viaBarrel = onlyHere + 1;',
        'export interface Signature { x: number }',
        'export function f(s: Signature): number { return s.x; }',
      ].join('\n'),
      'src/barrel.ts': "export { viaBarrel } from './a.js';\n",
      'src/whole.ts': 'export const one = 1;\nexport const two = 2;\n',
      'src/lazy.ts': 'export const later = 1;\n',
      'src/main.ts': [
        "import { imported, f } from './a.js';",
        "import { viaBarrel } from './barrel.js';",
        "import * as whole from './whole.js';",
        'console.log(imported, f({ x: viaBarrel }), whole);',
        "void import('./lazy.js');",
      ].join('\n'),
      'bench/x.bench.ts': 'export const bench = 1;\nexport const notRead = 2;\n',
    });
    expect(unusedExports(config)).toEqual([
      'bench/x.bench.ts:2 notRead: nothing uses it',
      'src/a.ts:2 dead: nothing uses it',
      'src/a.ts:3 onlyHere: only its own file uses it (drop `export`)',
    ]);
  });
});
