import type { Readable } from 'node:stream';
import { DataError } from '../../errors.js';
import { parseDecimal } from '../../model/decimal.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const MINUS = 0x2d;
const PLUS = 0x2b;
const ZERO = 0x30;
const NINE = 0x39;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * One row of a CSV file as `forEachCsvRow` meets it: field boundaries in the bytes read so far,
 * valid only during the call that receives it. A field is read as text or parsed as a number
 * straight from its bytes, so that a row of numbers makes no strings.
 */
export interface CsvRow {
  /** How many fields the row has. */
  readonly count: number;
  /** The line the row ends on (1-based; a quoted field may span lines), for errors. */
  readonly line: number;
  /** Field `j` as text, without its quotes and with "" unescaped. */
  text(j: number): string;
  /** Whether field `j` is empty (after trimming). */
  empty(j: number): boolean;
  /**
   * Field `j` as a decimal number (after replacing a decimal comma when `decimal` is ','), as
   * `Number()` reads decimals: NaN when it is not a decimal number (`0x10`, `Infinity`) or is empty. Plain decimals of up to 15 digits are parsed from the bytes, to
   * the same double (a 15-digit integer and a power of ten are exact, and their quotient is
   * correctly rounded, as Number's reading is).
   */
  number(j: number, decimal: '.' | ','): number;
  /** Every field as text. */
  texts(): string[];
  /** Field `j` for an error message: its text in single quotes, at most 80 characters of it. */
  quoted(j: number): string;
}

/** The longest field rxgrad reads by default (1 MiB): a longer one is an error, not a slow read. */
export const MAX_FIELD_BYTES = 1 << 20;

/**
 * Reads CSV (RFC 4180) from a byte stream and calls `onRow` for every row, the header first:
 * quoted fields with "" inside and line breaks, LF or CRLF line ends, a UTF-8 BOM, spaces around
 * fields trimmed, empty lines skipped, every row as wide as the first. `onRow` returning false
 * stops the read (and destroys the stream). Errors are `DataError`s naming the file and line.
 * Time is linear in the bytes, however long a row (a row split across chunks is scanned again
 * only once the bytes waiting for it have doubled); a field of more than `maxFieldBytes` (default
 * `MAX_FIELD_BYTES`) is an error.
 *
 * Our own tokenizer rather than csv-parse's records: it makes no string for a number, which on
 * Fashion-MNIST's 60,000 × 785 CSV is the difference between 11 s and well under 2.
 *
 * @example
 * import { createReadStream } from 'node:fs';
 * await forEachCsvRow(createReadStream('iris.csv'), 'iris.csv', ',', (row) => {
 *   console.log(row.texts());
 * });
 */
export async function forEachCsvRow(
  source: Readable,
  file: string,
  delimiter: string,
  onRow: (row: CsvRow) => boolean | undefined,
  maxFieldBytes = MAX_FIELD_BYTES,
): Promise<void> {
  if (delimiter.length !== 1 || delimiter.charCodeAt(0) > 0x7f)
    throw new DataError(`the delimiter must be one ASCII character, not '${delimiter}'`, { file });
  const tokenizer = new CsvTokenizer(file, delimiter.charCodeAt(0), onRow, maxFieldBytes);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (!tokenizer.push(chunk)) return;
    }
    tokenizer.end();
  } finally {
    source.destroy();
  }
}

class CsvTokenizer implements CsvRow {
  private buffer: Buffer = Buffer.alloc(0);
  /** Chunks that arrived while an unfinished row waits for its bytes to double. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  /** The buffer's length at which an unfinished row is scanned again. */
  private retryAt = 0;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private escaped = new Uint8Array(64);
  private fields = 0;
  private width = -1;
  private lines = 0;
  private first = true;
  private stopped = false;
  line = 0;

  constructor(
    private readonly file: string,
    private readonly delimiter: number,
    private readonly onRow: (row: CsvRow) => boolean | undefined,
    private readonly maxFieldBytes: number,
  ) {}

  get count(): number {
    return this.fields;
  }

  /** Takes the next bytes; false once `onRow` has asked to stop. */
  push(chunk: Buffer): boolean {
    this.waiting.push(chunk);
    this.waitingBytes += chunk.length;
    // An unfinished row is scanned again only once its bytes have doubled: linear time, however long the row.
    if (this.buffer.length + this.waitingBytes < this.retryAt) return true;
    this.take();
    const rest = this.rows(false);
    this.buffer = this.buffer.subarray(rest);
    this.retryAt = 2 * this.buffer.length;
    return !this.stopped;
  }

  /** The end of the input: a last row without a line end. */
  end(): void {
    this.take();
    this.rows(true);
  }

  /** Appends the waiting chunks to the buffer (and drops a BOM at the start of the file). */
  private take(): void {
    if (this.waiting.length === 0) return;
    const parts = this.buffer.length === 0 ? this.waiting : [this.buffer, ...this.waiting];
    this.buffer = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.waiting = [];
    this.waitingBytes = 0;
    if (this.first && this.buffer.length >= 3) {
      if (this.buffer[0] === 0xef && this.buffer[1] === 0xbb && this.buffer[2] === 0xbf) this.buffer = this.buffer.subarray(3);
      this.first = false;
    }
  }

  /** Calls onRow for every whole row in the buffer; returns where the unfinished one begins. */
  private rows(last: boolean): number {
    const buffer = this.buffer;
    const length = buffer.length;
    const delimiter = this.delimiter;
    const trimTab = delimiter !== TAB;
    let at = 0;
    while (at < length && !this.stopped) {
      const rowStart = at;
      let lines = this.lines;
      let p = at;
      this.fields = 0;
      let complete = false;
      for (;;) {
        while (p < length && (buffer[p] === SPACE || (trimTab && buffer[p] === TAB))) p++;
        let start: number;
        let end: number;
        let escaped = 0;
        if (p < length && buffer[p] === QUOTE) {
          const opened = lines + 1;
          start = ++p;
          for (;;) {
            while (p < length && buffer[p] !== QUOTE) {
              if (buffer[p] === LF) lines++;
              p++;
            }
            if (p + 1 < length && buffer[p + 1] === QUOTE) {
              escaped = 1;
              p += 2;
              continue;
            }
            break;
          }
          if (p - start > this.maxFieldBytes)
            throw this.invalid(
              `a field longer than ${this.maxFieldBytes} bytes, the most rxgrad reads (it begins ${this.preview(start, p, escaped)})`,
              opened,
            );
          if (p + 1 >= length && !last) break; // the closing quote, or what follows it, is in the next chunk
          if (p >= length) throw this.invalid('a quoted field is not closed', opened);
          end = p++;
          while (p < length && (buffer[p] === SPACE || (trimTab && buffer[p] === TAB))) p++;
          if (p < length && buffer[p] !== delimiter && buffer[p] !== LF && buffer[p] !== CR)
            throw this.invalid('a closing quote is followed by text instead of a delimiter or a line end', lines + 1);
        } else {
          start = p;
          while (p < length) {
            const c = buffer[p]!;
            if (c === delimiter || c === LF || c === CR) break;
            if (c === QUOTE) throw this.invalid('a quote inside an unquoted field', lines + 1);
            p++;
          }
          end = p;
          while (end > start && (buffer[end - 1] === SPACE || (trimTab && buffer[end - 1] === TAB))) end--;
        }
        if (end - start > this.maxFieldBytes)
          throw this.invalid(
            `a field longer than ${this.maxFieldBytes} bytes, the most rxgrad reads (it begins ${this.preview(start, end, escaped)})`,
            lines + 1,
          );
        if (p >= length && !last) break;
        this.field(start, end, escaped);
        if (p >= length) {
          complete = true;
          break;
        }
        const c = buffer[p]!;
        if (c === delimiter) {
          p++;
          continue;
        }
        // CR LF, LF, or a lone CR: the end of the row.
        if (c === CR) {
          if (p + 1 >= length && !last) break;
          p += buffer[p + 1] === LF ? 2 : 1;
        } else {
          p++;
        }
        lines++;
        complete = true;
        break;
      }
      if (!complete) return rowStart;
      at = p;
      this.line = lines + (buffer[p - 1] === LF || buffer[p - 1] === CR ? 0 : 1);
      this.lines = lines;
      if (this.fields === 1 && this.ends[0] === this.starts[0] && !this.escaped[0] && buffer[this.starts[0]! - 1] !== QUOTE) continue; // an empty line
      if (this.width < 0) this.width = this.fields;
      else if (this.fields !== this.width) {
        throw new DataError('a row with a different number of fields than the header', {
          file: this.file,
          line: this.line,
          expected: 'every row as wide as the header',
        });
      }
      if (this.onRow(this) === false) this.stopped = true;
    }
    return at;
  }

  private field(start: number, end: number, escaped: number): void {
    const j = this.fields++;
    if (j >= this.starts.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const next = new (a.constructor as new (n: number) => T)(a.length * 2);
        next.set(a);
        return next;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
      this.escaped = grow(this.escaped);
    }
    this.starts[j] = start;
    this.ends[j] = end;
    this.escaped[j] = escaped;
  }

  /** Bytes `start` to `end` for an error message: quoted, at most 80 characters of them. */
  private preview(start: number, end: number, escaped = 0): string {
    const cut = Math.min(end, start + 320);
    const text = this.buffer.toString('utf8', start, cut);
    const unescaped = escaped ? text.replaceAll('""', '"') : text;
    // In single quotes, as rxgrad's messages quote values, with line breaks and controls escaped.
    return `'${JSON.stringify(unescaped.length > 80 || cut < end ? `${unescaped.slice(0, 80)}…` : unescaped).slice(1, -1)}'`;
  }

  quoted(j: number): string {
    return this.preview(this.starts[j]!, this.ends[j]!, this.escaped[j]);
  }

  private invalid(problem: string, line: number): DataError {
    return new DataError(`not a valid CSV file: ${problem}`, { file: this.file, line });
  }

  text(j: number): string {
    const start = this.starts[j]!;
    const end = this.ends[j]!;
    const buffer = this.buffer;
    let ascii = true;
    for (let p = start; p < end && ascii; p++) ascii = buffer[p]! < 0x80;
    let text: string;
    if (ascii) text = buffer.toString('latin1', start, end);
    else {
      try {
        text = STRICT_UTF8.decode(buffer.subarray(start, end));
      } catch {
        // Decoding anyway would turn every such byte into U+FFFD: Latin-1 labels collapse into a few classes.
        throw new DataError(
          `field ${j + 1} is not valid UTF-8 (it begins ${this.preview(start, end)}); save the file as UTF-8 (pandas: encoding='utf-8')`,
          { file: this.file, line: this.line },
        );
      }
    }
    return this.escaped[j] ? text.replaceAll('""', '"') : text;
  }

  empty(j: number): boolean {
    return this.starts[j] === this.ends[j];
  }

  number(j: number, decimal: '.' | ','): number {
    const buffer = this.buffer;
    let p = this.starts[j]!;
    const end = this.ends[j]!;
    const mark = decimal === ',' ? 0x2c : 0x2e;
    let negative = false;
    if (buffer[p] === MINUS) {
      negative = true;
      p++;
    } else if (buffer[p] === PLUS) {
      p++;
    }
    let mantissa = 0;
    let digits = 0;
    let fraction = -1;
    for (; p < end; p++) {
      const c = buffer[p]!;
      if (c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        if (fraction >= 0) fraction++;
      } else if (c === mark && fraction < 0) {
        fraction = 0;
      } else {
        digits = 16;
        break;
      }
    }
    if (digits === 0 || digits > 15) {
      if (this.starts[j] === end) return Number.NaN;
      const text = this.text(j);
      // Decimal numbers only: Number() would also read 0x10, 0b11, 0o7 and Infinity.
      return parseDecimal(decimal === ',' ? text.replace(',', '.') : text);
    }
    const value = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction]! : mantissa;
    return negative ? -value : value;
  }

  texts(): string[] {
    return Array.from({ length: this.fields }, (_, j) => this.text(j));
  }
}
