import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a script of the project, in plain JavaScript without declarations.
import { apiReport, ENTRY_POINTS, reportFile } from '../../scripts/api-report.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const entries = ENTRY_POINTS as [string, string][];
const report = apiReport as (name: string, declarations: string) => string;
const fileOf = reportFile as (name: string) => string;

// The API report (api/*.api.md) is the public surface as the build declares it: a change to an
// export's name or signature fails here until `npm run api` records it, on purpose.
describe('the API report', () => {
  for (const [name, declarations] of entries) {
    it(`api/ holds ${name}'s exports and signatures as built`, () => {
      const expected = report(name, declarations);
      const recorded = readFileSync(fileOf(name), 'utf8');
      expect(recorded, `${path.relative(root, fileOf(name))} differs from the build: run npm run api if the change is intended`).toBe(
        expected,
      );
    });
  }

  it('names every runtime export of every entry point, each with a declaration', async () => {
    for (const [name, declarations] of entries) {
      const text = report(name, declarations);
      const module = (await import(path.join(root, declarations.replace(/\.d\.ts$/, '.js')))) as Record<string, unknown>;
      const headings = new Set([...text.matchAll(/^### (\S+)$/gm)].map((m) => m[1]));
      for (const key of Object.keys(module)) expect(headings.has(key), `${name}: ${key}`).toBe(true);
      expect(text).not.toContain('no declaration found');
    }
  });
});
