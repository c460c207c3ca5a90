import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One `@example` of a doc comment: where it is and its code. */
export interface DocExample {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

const root = path.resolve(import.meta.dirname, '../..');

/** Every .ts file under `dir`, relative to the repository. */
function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(relative);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [relative] : [];
  });
}

/**
 * The `@example` blocks of every doc comment in `src/`: the lines after the tag, up to the next
 * tag or the comment's end, without their leading ` * `.
 *
 * @example
 * const examples = docExamples(); // [{ file: 'src/operators/fit.ts', line: 42, code: '…' }, …]
 */
export function docExamples(): DocExample[] {
  const examples: DocExample[] = [];
  for (const file of sourceFiles('src')) {
    const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\*\s*@example\b/.test(lines[i]!)) continue;
      const code: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const line = lines[j]!;
        if (/^\s*\*\//.test(line) || /^\s*\*\s*@\w+/.test(line)) break;
        code.push(line.replace(/^\s*\* ?/, ''));
      }
      examples.push({ file, line: i + 1, code: code.join('\n').trim() });
      i = j - 1;
    }
  }
  return examples;
}

/** The names a module's source exports (values and types), by its `export` statements. */
export function exportedNames(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const names = new Set<string>();
  for (const m of text.matchAll(
    /^export (?:declare )?(?:async )?(?:abstract )?(?:function\*?|class|const|let|interface|type|enum) ([A-Za-z_$][\w$]*)/gm,
  ))
    names.add(m[1]!);
  for (const m of text.matchAll(/^export (?:type )?\{([^}]*)\}/gm)) {
    for (const part of m[1]!.split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .at(-1)!;
      if (name) names.add(name);
    }
  }
  return [...names];
}
