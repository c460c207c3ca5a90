import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/errors.js';
import { forEachCsvRow } from '../../../src/streams/csv/csvRows.js';

/** The rows of `text` as texts and lines, fed in chunks of `size` bytes (every boundary is tried by the callers). */
async function rowsOf(text: string | Buffer, size = 1 << 16, delimiter = ',') {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
  const rows: { texts: string[]; line: number }[] = [];
  await forEachCsvRow(Readable.from(chunks), 'x.csv', delimiter, (row) => {
    rows.push({ texts: row.texts(), line: row.line });
  });
  return rows;
}

describe('forEachCsvRow', () => {
  it('reads quoted fields, "" escapes, line breaks inside quotes, CRLF, a BOM, trimmed spaces and empty lines, whatever the chunk boundaries', async () => {
    const text = '\uFEFFid,name,x\r\n1, "a, ""b""" ,2.5\r\n\r\n2,"two\nlines",-3\n3,é,\n';
    const expected = [
      { texts: ['id', 'name', 'x'], line: 1 },
      { texts: ['1', 'a, "b"', '2.5'], line: 2 },
      { texts: ['2', 'two\nlines', '-3'], line: 5 },
      { texts: ['3', 'é', ''], line: 6 },
    ];
    for (let size = 1; size <= Buffer.byteLength(text); size++) expect(await rowsOf(text, size), `chunks of ${size}`).toEqual(expected);
    expect(await rowsOf('a;b\n1;2', 1 << 16, ';')).toEqual([
      { texts: ['a', 'b'], line: 1 },
      { texts: ['1', '2'], line: 2 },
    ]);
    expect(await rowsOf('a\tb\n\t2\n', 3, '\t')).toEqual([
      { texts: ['a', 'b'], line: 1 },
      { texts: ['', '2'], line: 2 },
    ]);
  });

  it('parses decimal numbers to exactly what Number() reads from the text, and nothing else as a number', async () => {
    const cells = [
      '0',
      '-0',
      '7',
      '+7',
      '007',
      '3.25',
      '-0.1',
      '.5',
      '5.',
      '123456789012345',
      '1234567890.12345',
      '0.1234567890123456789',
      '1e-5',
      '2E3',
      '0x1F',
      ' 4 ',
      '',
      '-',
      '.',
      '1.2.3',
      'nan',
      'Infinity',
      '1,5',
      '0b11',
      '0o7',
      '-Infinity',
      '1e',
      '.123456789012345',
      '-.000000000000001',
      '12345678.9012345',
    ];
    const values: number[][] = [];
    await forEachCsvRow(
      Readable.from([Buffer.from(`${cells.map((_, i) => `c${i}`).join(';')}\n${cells.join(';')}\n`)]),
      'x.csv',
      ';',
      (row) => {
        values.push(Array.from({ length: row.count }, (_, j) => row.number(j, '.')));
        values.push(Array.from({ length: row.count }, (_, j) => row.number(j, ',')));
      },
    );
    const trimmed = cells.map((c) => c.trim());
    // Number() reads these too (as 31, 3, 7 and infinities): in data they are not numbers.
    const notDecimal = new Set(['0x1F', '0b11', '0o7', 'Infinity', '-Infinity']);
    expect(values[2]).toEqual(trimmed.map((c) => (c === '' || notDecimal.has(c) ? Number.NaN : Number(c))));
    expect(values[3]).toEqual(trimmed.map((c) => (c === '' || notDecimal.has(c) ? Number.NaN : Number(c.replace(',', '.')))));
    expect(Object.is(values[2]![1], -0)).toBe(true);
  });

  it('stops when asked, and names the line of a malformed row', async () => {
    const seen: string[] = [];
    await forEachCsvRow(Readable.from([Buffer.from('a\n1\n2\n3\n')]), 'x.csv', ',', (row) => {
      seen.push(row.text(0));
      return seen.length < 2;
    });
    expect(seen).toEqual(['a', '1']);
    const cases: [string, RegExp, number][] = [
      ['a,b\n1,2\n3\n', /x.csv, line 3: a row with a different number of fields than the header/, 3],
      ['a,b\n1,"2\n', /line 2: not a valid CSV file: a quoted field is not closed/, 2],
      ['a,b\n1,"2"x\n', /line 2: not a valid CSV file: a closing quote is followed by text/, 2],
      ['a,b\n1,2"\n', /line 2: not a valid CSV file: a quote inside an unquoted field/, 2],
    ];
    for (const [text, message, line] of cases) {
      const error = await rowsOf(text, 2).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, text).toBeInstanceOf(DataError);
      expect((error as Error).message, text).toMatch(message);
      expect(error, text).toMatchObject({ line });
    }
  });
});

describe('forEachCsvRow on long fields', () => {
  it('reads a field up to the limit exactly, whatever the chunks, and refuses a longer one quoting at most 80 characters', async () => {
    const limit = 4096;
    const read = async (text: string, size: number) => {
      const bytes = Buffer.from(text);
      const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
      const rows: string[][] = [];
      await forEachCsvRow(Readable.from(chunks), 'x.csv', ',', (row) => void rows.push(row.texts()), limit);
      return rows;
    };
    const long = 'ab"c'.repeat(limit / 4);
    for (const size of [7, 100, 1 << 16]) {
      expect(
        await read(`id,note\n1,${'x'.repeat(limit)}\n2,"${long.replaceAll('"', '""').slice(0, limit)}"\n`, size),
        `chunks of ${size}`,
      ).toEqual([
        ['id', 'note'],
        ['1', 'x'.repeat(limit)],
        ['2', long.replaceAll('"', '""').slice(0, limit).replaceAll('""', '"')],
      ]);
      for (const text of [`id,note\n1,2\n3,${'y'.repeat(limit + 1)}\n`, `id,note\n1,2\n3,"${'y'.repeat(3 * limit)}`]) {
        const error = await read(text, size).catch((e: unknown) => e as DataError);
        expect(error).toBeInstanceOf(DataError);
        expect((error as DataError).message).toBe(
          `x.csv, line 3: not a valid CSV file: a field longer than ${limit} bytes, the most rxgrad reads (it begins '${'y'.repeat(80)}…')`,
        );
      }
    }
  });

  it('quotes a bad cell in an error at most 80 characters long, with line breaks escaped', async () => {
    let quoted = '';
    await forEachCsvRow(Readable.from([Buffer.from(`a,b\n"${'z'.repeat(500)}","two\nlines"\n`)]), 'x.csv', ',', (row) => {
      if (row.line > 1) quoted = `${row.quoted(0)} ${row.quoted(1)}`;
    });
    expect(quoted).toBe(`'${'z'.repeat(80)}…' 'two\\nlines'`);
  });
});
