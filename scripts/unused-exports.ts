// Exports nothing imports: eslint's no-unused-vars sees one file at a time, so an `export` keeps dead
// code alive forever. This reads the whole TypeScript project (tsconfig.json) with the compiler's
// own resolver and lists every exported declaration that no other file imports (directly, through
// a re-export, `import * as`, `import()` or `typeof import()`). Entry points (tests, benches, the
// page's and the servers' mains, tool configs) and the names in ALLOWED below are public on purpose.
// Run by `npm run lint` and scripts/test.sh's lint step; exits 1 and lists file:line name otherwise.

import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Files a runner loads, and the exports it reads from them ('*': all). */
const ENTRIES: Array<[RegExp, readonly string[] | '*']> = [
  [/\.(test|spec)\.ts$/, '*'],
  [/^bench\/[^/]+\.bench\.ts$/, ['bench']], // bench/run.ts imports each by name at run time
  [/^(vite|vitest|playwright)\.config\.ts$/, ['default']],
  [/^src\/sim\/cli\.ts$/, ['main']], // scripts/sim.mjs bundles it and calls main()
  [/^scripts\//, '*'],
];

/** Exports kept with nothing importing them, each with its reason ("file:name"). */
const ALLOWED: Record<string, string> = {};

/** A lit element registered by its tag (`@customElement('dima-x')`): templates use the tag, not the class. */
function isCustomElement(declaration: ts.Declaration): boolean {
  return ts.isClassDeclaration(declaration) && (ts.getDecorators(declaration) ?? []).some((d) => {
    const call = d.expression;
    return ts.isCallExpression(call) && ts.isIdentifier(call.expression) && call.expression.text === 'customElement';
  });
}

function isDeclarationName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (ts.isFunctionDeclaration(parent) || ts.isClassDeclaration(parent) || ts.isInterfaceDeclaration(parent) || ts.isTypeAliasDeclaration(parent) || ts.isVariableDeclaration(parent) || ts.isEnumDeclaration(parent)) && parent.name === node;
}

export function unusedExports(configPath = resolve(root, 'tsconfig.json')): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram(config.fileNames, config.options);
  const checker = program.getTypeChecker();
  const ours = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'));
  const projectRoot = dirname(configPath);
  const name = (f: ts.SourceFile): string => relative(projectRoot, f.fileName);

  const original = (symbol: ts.Symbol): ts.Symbol =>
    symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const used = new Set<ts.Symbol>();
  const wholeModuleUsed = new Set<ts.Symbol>();

  const useModule = (specifier: ts.Node): void => {
    const moduleSymbol = checker.getSymbolAtLocation(specifier);
    if (moduleSymbol) wholeModuleUsed.add(moduleSymbol);
  };
  const useName = (identifier: ts.Node): void => {
    const symbol = checker.getSymbolAtLocation(identifier);
    if (symbol) used.add(original(symbol));
  };

  for (const file of ours) {
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && node.importClause) {
        const clause = node.importClause;
        if (clause.name) useName(clause.name);
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) useModule(node.moduleSpecifier);
        if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) useName(element.name);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.exportClause && file !== undefined) {
        // `export * from`: its names are the barrel's exports, resolved through it when imported.
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [specifier] = node.arguments;
        if (specifier) useModule(specifier);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        useModule(node.argument.literal);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  const usedInOwnFile = (file: ts.SourceFile, target: ts.Symbol): boolean => {
    let found = false;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isIdentifier(node) && !isDeclarationName(node)) {
        const symbol = checker.getSymbolAtLocation(node);
        if (symbol && (symbol === target || original(symbol) === target || checker.getExportSymbolOfSymbol(symbol) === target)) found = true;
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    return found;
  };

  const findings: string[] = [];
  for (const file of ours) {
    const fileName = name(file);
    const read = ENTRIES.find(([pattern]) => pattern.test(fileName))?.[1];
    if (read === '*') continue;
    const moduleSymbol = checker.getSymbolAtLocation(file);
    if (!moduleSymbol || wholeModuleUsed.has(moduleSymbol)) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const target = original(exported);
      const declaration = target.declarations?.[0];
      // Re-exports are judged where they are declared.
      if (!declaration || declaration.getSourceFile() !== file) continue;
      if (read?.includes(exported.name)) continue;
      if (used.has(target) || ALLOWED[`${fileName}:${exported.name}`] !== undefined) continue;
      if (isCustomElement(declaration)) continue;
      const isType = (target.flags & ts.SymbolFlags.Value) === 0;
      const local = usedInOwnFile(file, target);
      // A type its own file uses is part of an exported signature: callers may name it.
      if (isType && local) continue;
      const { line } = file.getLineAndCharacterOfPosition(declaration.getStart());
      findings.push(`${fileName}:${line + 1} ${exported.name}: ${local ? 'only its own file uses it (drop `export`)' : 'nothing uses it'}`);
    }
  }
  return findings.sort();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const findings = unusedExports(process.argv[2] ? resolve(process.argv[2]) : undefined);
  for (const finding of findings) console.log(finding);
  if (findings.length > 0) {
    console.error(`${findings.length} export(s) nothing imports: remove them (or the export keyword), or list them in ALLOWED (scripts/unused-exports.ts) with a reason`);
    process.exit(1);
  }
  console.log('unused exports: none');
}
