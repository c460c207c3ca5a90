import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DocExample, docExamples, exportedNames } from './docExamples.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The public entry points, by the specifier a user imports, and their sources. */
export const ENTRY_SOURCES: readonly (readonly [string, string])[] = [
  ['rxgrad', 'src/index.ts'],
  ['rxgrad/advanced', 'src/entries/advanced.ts'],
  ['rxgrad/testing', 'src/testing/index.ts'],
  ['rxgrad/report', 'src/entries/report.ts'],
  ['rxgrad/distributed', 'src/entries/distributed.ts'],
];

/** A source file as a generated file two levels down imports it. */
const fromGenerated = (file: string) => `../${file.replace(/\.ts$/, '.js')}`;

/** One example as a module: what its module and the public entry points export in scope, its own imports hoisted, its code in an async function. */
export function exampleModule(example: DocExample, prelude: Prelude): string {
  const own = new Set(exportedNames(example.file));
  const lines = example.code.split('\n');
  const imports = lines.filter((l) => /^import\s/.test(l));
  const body = lines.filter((l) => !/^import\s/.test(l));
  // `rxgrad…` as a user imports it; a relative path as the example's module would resolve it.
  const relocated = (line: string) =>
    line.replace(/(from |import\()'([^']+)'/g, (whole, keyword: string, specifier: string) => {
      const entry = ENTRY_SOURCES.find(([name]) => name === specifier);
      if (entry) return `${keyword}'${fromGenerated(entry[1])}'`;
      if (specifier.startsWith('.')) return `${keyword}'../${path.posix.join(path.posix.dirname(example.file), specifier)}'`;
      return whole;
    });
  const hoisted = imports.map(relocated);
  const taken = new Set(imports.flatMap((l) => [...(/\{([^}]*)\}/.exec(l)?.[1] ?? '').matchAll(/([\w$]+)\s*(?:,|$)/g)].map((m) => m[1]!)));
  const header: string[] = [`// ${example.file}:${example.line}`];
  const ownNames = [...own].filter((n) => !taken.has(n));
  if (ownNames.length > 0) header.push(`import { ${ownNames.join(', ')} } from '${fromGenerated(example.file)}';`);
  const seen = new Set([...own, ...taken]);
  for (const [, source] of ENTRY_SOURCES) {
    if (source === example.file) continue;
    const names = exportedNames(source).filter((n) => !seen.has(n));
    for (const n of names) seen.add(n);
    if (names.length > 0) header.push(`import { ${names.join(', ')} } from '${fromGenerated(source)}';`);
  }
  const rxjs = prelude.rxjs.filter((n) => !seen.has(n));
  if (rxjs.length > 0) header.push(`import { ${rxjs.join(', ')} } from 'rxjs';`);
  const givens = Object.entries(prelude.givens)
    .filter(([name]) => !seen.has(name) && !new RegExp(`\\b(const|let|function|class) ${name.replace('$', '\\$')}\\b`).test(example.code))
    .map(([name, type]) => `declare const ${name}: ${type};`);
  return [...header, ...hoisted, ...givens, 'export async function example(): Promise<void> {', relocated(body.join('\n')), '}', ''].join(
    '\n',
  );
}

/** What examples may use without importing or defining it: rxjs's functions, and givens by name with their types. */
export interface Prelude {
  readonly rxjs: readonly string[];
  readonly givens: Readonly<Record<string, string>>;
}

/** A TypeScript error in a generated example: where the example is, and the message. */
export interface ExampleError {
  readonly example: string;
  readonly message: string;
}

/**
 * Type-checks every `@example` of `src/` against the types of its module and of the public entry
 * points, with `prelude` declaring the givens examples may use without defining them.
 */
export function checkExamples(prelude: Prelude): { readonly count: number; readonly errors: ExampleError[] } {
  // Inside the repository, so that the examples resolve rxjs and the rest as src/ does; one folder a run.
  const name = `.examples-${process.pid}`;
  const dir = path.join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const examples = docExamples();
  examples.forEach((example, i) => {
    writeFileSync(path.join(dir, `e${String(i).padStart(3, '0')}.ts`), exampleModule(example, prelude));
  });
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false, rootDir: '..' },
      include: ['*.ts', '../src/types/*.d.ts'],
    }),
  );
  const run = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  rmSync(dir, { recursive: true, force: true });
  const errors: ExampleError[] = [];
  for (const m of run.stdout.matchAll(new RegExp(`^${name}/e(\\d+)\\.ts\\((\\d+),(\\d+)\\): error (TS\\d+: .*)$`, 'gm'))) {
    const example = examples[Number(m[1])]!;
    errors.push({ example: `${example.file}:${example.line}`, message: m[4]! });
  }
  if (errors.length === 0 && run.status !== 0) errors.push({ example: '(tsc)', message: run.stdout + run.stderr });
  return { count: examples.length, errors };
}
