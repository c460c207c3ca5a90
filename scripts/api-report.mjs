// The API report: every name each entry point of the package exports, with its declaration as
// the build's .d.ts files give it (doc comments left out), one file per entry point under api/.
// A test compares it with the build, so that the public surface changes only on purpose:
// `npm run api` rewrites it after an intended change (as RxJS keeps its api_guard files).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The entry points, by the name a user imports, and their compiled declarations. */
export const ENTRY_POINTS = [
  ['rxgrad', 'dist/index.d.ts'],
  ['rxgrad/advanced', 'dist/entries/advanced.d.ts'],
  ['rxgrad/testing', 'dist/testing/index.d.ts'],
  ['rxgrad/report', 'dist/entries/report.d.ts'],
  ['rxgrad/distributed', 'dist/entries/distributed.d.ts'],
];

const withoutComments = (text) => text.replace(/\/\*\*[\s\S]*?\*\/\s*/g, '').replace(/^\s*\/\/.*\n/gm, '');

/** The end of the statement that starts at `start`: its `;` or closing brace at depth 0. */
function statementEnd(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '(' || c === '[' || c === '<') depth++;
    else if (c === '}' || c === ')' || c === ']' || (c === '>' && text[i - 1] !== '=')) {
      depth--;
      if (depth === 0 && c === '}' && /^(export )?(declare )?(abstract )?(class|interface|enum|namespace)\b/.test(text.slice(start)))
        return i + 1;
    } else if (c === ';' && depth === 0) return i + 1;
  }
  return text.length;
}

const moduleCache = new Map();
function moduleText(file) {
  if (!moduleCache.has(file)) moduleCache.set(file, withoutComments(readFileSync(file, 'utf8')));
  return moduleCache.get(file);
}

/** Where a relative import of a .d.ts file leads. */
const resolve = (from, specifier) => path.resolve(path.dirname(from), specifier.replace(/\.js$/, '.d.ts'));

/** The names a module exports, each with where it is declared: `{ name: { file, local } }`. */
function exportsOf(file) {
  const text = moduleText(file);
  const names = new Map();
  for (const m of text.matchAll(/^export (?:type )?\{([^}]*)\} from '([^']+)';/gm)) {
    for (const part of m[1]
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [local, exported = local] = part.replace(/^type /, '').split(/\s+as\s+/);
      const target = exportsOf(resolve(file, m[2])).get(local);
      names.set(exported, target ?? { file: resolve(file, m[2]), local });
    }
  }
  // `export type { X };` of an imported name: where the import comes from.
  for (const m of text.matchAll(/^export (?:type )?\{([^}]*)\};/gm)) {
    for (const local of m[1]
      .split(',')
      .map((p) => p.trim().replace(/^type /, ''))
      .filter(Boolean)) {
      const from = new RegExp(`^import (?:type )?\\{[^}]*\\b${local}\\b[^}]*\\} from '([^']+)';`, 'm').exec(text);
      if (from) names.set(local, exportsOf(resolve(file, from[1])).get(local) ?? { file: resolve(file, from[1]), local });
    }
  }
  for (const m of text.matchAll(
    /^export (?:declare )?(?:abstract )?(?:function|class|interface|type|const|let|enum|namespace) ([A-Za-z_$][\w$]*)/gm,
  ))
    if (!names.has(m[1])) names.set(m[1], { file, local: m[1] });
  return names;
}

/** The declaration text of `local` in `file` (every overload of a function). */
function declarationOf(file, local) {
  const text = moduleText(file);
  const pattern = new RegExp(
    `^export (?:declare )?(?:abstract )?(?:function|class|interface|type|const|let|enum|namespace) ${local}\\b`,
    'gm',
  );
  const parts = [...text.matchAll(pattern)].map((m) => text.slice(m.index, statementEnd(text, m.index)).trim());
  let declaration = parts.join('\n');
  // A lazy loader (`export declare const readArrow: typeof ReadArrow.readArrow`): the function it stands for.
  const lazy = /^export declare const \w+: typeof (\w+)\.(\w+);$/.exec(declaration);
  if (lazy) {
    const alias = new RegExp(`import type \\* as ${lazy[1]} from '([^']+)';`).exec(text);
    if (alias) declaration = declarationOf(resolve(file, alias[1]), lazy[2]);
  }
  return declaration || `(no declaration found in ${path.relative(root, file)})`;
}

/**
 * The report of one entry point: its names in order, each with its declaration.
 *
 * @example
 * apiReport('rxgrad', 'dist/index.d.ts')
 */
export function apiReport(name, declarations) {
  const file = path.join(root, declarations);
  const names = [...exportsOf(file).entries()].sort(([a], [b]) => a.localeCompare(b));
  const body = names.map(([exported, { file: where, local }]) => {
    const declaration = declarationOf(where, local).replace(new RegExp(`\\b${local}\\b`), exported);
    return `### ${exported}\n\n\`\`\`ts\n${declaration}\n\`\`\`\n`;
  });
  return `# ${name}\n\nThe exports of \`${name}\` and their declarations, from the build (\`npm run api\` writes this file).\n\n${body.join('\n')}`;
}

/** The report's file for an entry point. */
export const reportFile = (name) => path.join(root, 'api', `${name.replace('/', '-')}.api.md`);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(path.join(root, 'api'), { recursive: true });
  for (const [name, declarations] of ENTRY_POINTS) {
    if (!existsSync(path.join(root, declarations))) throw new Error(`${declarations} is missing: npm run build first`);
    writeFileSync(reportFile(name), apiReport(name, declarations));
    process.stdout.write(`wrote ${path.relative(root, reportFile(name))}\n`);
  }
}
