// Enforces the folder map drawn in CONTRIBUTING.md: which folder of src/ may import which.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/**
 * What each folder (or top-level module) may import besides itself, as CONTRIBUTING.md's folder
 * map says: the table between its folder-map markers. Packages are named as imported.
 */
function allowedImports(): Record<string, readonly string[]> {
  const text = readFileSync(path.resolve(import.meta.dirname, '../../CONTRIBUTING.md'), 'utf8');
  const table = /<!-- folder-map -->([\s\S]*?)<!-- \/folder-map -->/.exec(text)?.[1];
  if (!table) throw new Error('CONTRIBUTING.md has no folder-map table');
  const rows = table.split('\n').filter((line) => line.startsWith('|') && !/^\|\s*(-|part of)/.test(line));
  return Object.fromEntries(
    rows.map((row) => {
      const [part, , imports] = row
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim());
      return [part!, imports === 'nothing' ? [] : imports!.split(',').map((name) => name.trim())];
    }),
  );
}
const ALLOWED = allowedImports();

/** The part of src/ a file belongs to: its subfolder when the map names it (streams/csv), else its folder, or its own name for a top-level module. */
function partOf(file: string): string {
  const relative = path.relative(SRC, file).split(path.sep);
  if (relative.length > 2 && `${relative[0]}/${relative[1]}` in ALLOWED) return `${relative[0]}/${relative[1]}`;
  return relative.length > 1 ? relative[0]! : relative[0]!.replace(/\.[jt]s$/, '');
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function importsOf(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
  )) {
    found.add((match[1] ?? match[2] ?? match[3])!);
  }
  return [...found];
}

/** The part an import reaches: a part of src/ for a relative path, else the package (node: for built-ins). */
function targetOf(file: string, specifier: string): string {
  if (specifier.startsWith('.')) return partOf(path.resolve(path.dirname(file), specifier));
  if (specifier.startsWith('node:')) return 'node:';
  return specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
}

describe('the folder map', () => {
  const files = sources(SRC);

  it('finds the imports it checks, and the map in CONTRIBUTING.md', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(ALLOWED.model).toEqual(['errors', 'seedrandom']);
    expect(ALLOWED.cli).toEqual(['*']);
    expect(
      importsOf(
        "import { a } from './a.js';\nexport { b } from '../b.js';\nconst c = await import('node:fs');\nimport type { D } from 'rxjs';",
      ),
    ).toEqual(['./a.js', '../b.js', 'node:fs', 'rxjs']);
  });

  it('names every part of src/, and nothing that is not there', () => {
    const parts = new Set(files.map(partOf));
    expect([...parts].filter((p) => !(p in ALLOWED))).toEqual([]);
    expect(Object.keys(ALLOWED).filter((p) => !parts.has(p))).toEqual([]);
  });

  it('draws every part of src/ in the picture above the table', () => {
    const text = readFileSync(path.resolve(import.meta.dirname, '../../CONTRIBUTING.md'), 'utf8');
    const drawing = /## The folders and what each may import\s*```([\s\S]*?)```/.exec(text)?.[1] ?? '';
    const drawn = new Set(drawing.match(/[A-Za-z]+/g) ?? []);
    expect([...new Set(files.map(partOf))].filter((part) => !part.split('/').every((word) => drawn.has(word)))).toEqual([]);
  });

  it('holds: no file imports what its folder may not', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = partOf(file);
      const allowed = ALLOWED[from] ?? [];
      if (allowed.includes('*')) continue;
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        const to = targetOf(file, specifier);
        // A part that may import `streams` may import its subparts (streams/csv) too.
        if (to !== from && !allowed.some((part) => to === part || to.startsWith(`${part}/`)))
          violations.push(`${path.relative(SRC, file)} imports '${specifier}' (${from} may import ${allowed.join(', ') || 'nothing'})`);
      }
    }
    expect(violations).toEqual([]);
  });
});
