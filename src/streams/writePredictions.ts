import {
  catchError,
  concatWith,
  defer,
  finalize,
  from,
  ignoreElements,
  type OperatorFunction,
  Subject,
  switchMap,
  tap,
  throwError,
} from 'rxjs';
import { openTemporaryFile } from '../files/atomicFiles.js';
import { fileHead, fileTail } from '../files/outputGuard.js';
import { arrowRecordBatch, openArrowSink } from './arrow/arrowColumns.js';
import type { ArrowCompression } from './codecs/arrowCodecs.js';
import { csvCell } from './csv/csvSink.js';
import { CLASS_NAMES_KEY } from './records/columnLayout.js';
import type { Predictions } from './records/predictions.js';

/** What `writePredictions` wrote. */
export interface WrittenPredictions {
  readonly path: string;
  readonly rows: number;
}

/** Where predictions go: written block by block, then closed (renamed into place) or aborted. */
interface PredictionSink {
  write(predictions: Predictions, firstRow: number): void;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * A block of predictions as an Arrow record batch: `row`, the kept columns, `prediction` (the
 * class index, or with class names the class's name, a label as the data holds it, with its index
 * in `prediction_index`), `probabilities`.
 */
function predictionBatch(
  predictions: Predictions,
  firstRow: number,
  keep: readonly string[],
  classNames: readonly string[] | undefined,
  metadata: ReadonlyMap<string, string>,
) {
  const row = new Int32Array(predictions.rows);
  for (let i = 0; i < row.length; i++) row[i] = firstRow + i;
  const columns = [
    { name: 'row', values: row },
    ...keep.map((name, k) => ({ name, values: predictions.kept?.[k] ?? new Array<string>(predictions.rows).fill('') })),
    ...(classNames
      ? [
          { name: 'prediction', values: Array.from(predictions.predicted, (c) => classNames[c]!) },
          { name: 'prediction_index', values: predictions.predicted },
        ]
      : [{ name: 'prediction', values: predictions.predicted }]),
    { name: 'probabilities', values: predictions.probabilities, listSize: predictions.classes },
  ];
  return arrowRecordBatch(columns, 0, predictions.rows, metadata);
}

async function arrowSink(
  path: string,
  metadata: ReadonlyMap<string, string>,
  keep: readonly string[],
  classNames: readonly string[] | undefined,
  compression: ArrowCompression | undefined,
): Promise<PredictionSink> {
  const sink = await openArrowSink(path, 'file', compression);
  return {
    write: (predictions, firstRow) => sink.write(predictionBatch(predictions, firstRow, keep, classNames, metadata)),
    close: () => sink.close(),
    abort: () => sink.abort(),
  };
}

/** Parquet (`.parquet`), the same columns as Arrow's, the metadata in the file's key-value metadata; parquet-wasm loads only here. */
async function parquetSink(
  path: string,
  metadata: ReadonlyMap<string, string>,
  keep: readonly string[],
  classNames: readonly string[] | undefined,
): Promise<PredictionSink> {
  const { writeParquetFile } = await import('./parquet/parquetSink.js');
  const blocks = new Subject<{ readonly rows: number; readonly predictions: Predictions; readonly firstRow: number }>();
  const written = writeParquetFile(
    path,
    blocks,
    (block) => predictionBatch(block.predictions, block.firstRow, keep, classNames, new Map()),
    metadata,
  );
  // Until close or abort, a failure waits for one of them to report it.
  written.catch(() => undefined);
  return {
    write: (predictions, firstRow) => blocks.next({ rows: predictions.rows, predictions, firstRow }),
    async close() {
      blocks.complete();
      await written;
    },
    async abort() {
      blocks.error(new Error('predictions aborted'));
      await written.catch(() => undefined);
    },
  };
}

/** The formats predictions are written in, by the output's extension; undefined for any other. */
export function predictionFormat(path: string): 'csv' | 'parquet' | 'arrow' | undefined {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/\.(arrow|feather|ipc)$/i.test(path)) return 'arrow';
  return undefined;
}

/** A float32 probability in the fewest digits that read back as the same float32. */
const probability = (p: number) => String(Number(p.toPrecision(9)));

/**
 * CSV with a header `row,prediction,p0,p1,…` (with class names: `row,prediction,prediction_index,p_NAME,…`,
 * the prediction a name), each block on disk when written (bounded memory).
 */
async function csvSink(path: string, classNames: readonly string[] | undefined, keep: readonly string[]): Promise<PredictionSink> {
  const file = await openTemporaryFile(path);
  let header = false;
  return {
    write(predictions, firstRow) {
      const { rows, classes, predicted, probabilities } = predictions;
      const probabilityColumns = Array.from({ length: classes }, (_, c) => (classNames ? csvCell(`p_${classNames[c]}`) : `p${c}`));
      let text = header
        ? ''
        : `row,${keep.map((name) => `${csvCell(name)},`).join('')}prediction,${classNames ? 'prediction_index,' : ''}${probabilityColumns.join(',')}\n`;
      header = true;
      for (let i = 0; i < rows; i++) {
        const predictedClass = classNames ? `${csvCell(classNames[predicted[i]!]!)},${predicted[i]}` : String(predicted[i]);
        text += `${firstRow + i},${keep.map((_, k) => `${csvCell(predictions.kept?.[k]?.[i] ?? '')},`).join('')}${predictedClass}`;
        for (let c = 0; c < classes; c++) text += `,${probability(probabilities[i * classes + c]!)}`;
        text += '\n';
      }
      file.write(Buffer.from(text));
    },
    close: () => file.commit(),
    abort: () => file.discard(),
  };
}

/**
 * A sink that writes predictions to a file, by its extension: CSV (`.csv`, with a header
 * `row,prediction,p0,p1,…`, or with `classNames` `row,prediction,prediction_index,p_NAME,…`,
 * readable by pandas' `read_csv`), Parquet (`.parquet`, the Arrow file's columns) or an Arrow IPC
 * file (`.arrow`, `.feather`, `.ipc`; any other extension is an error) with columns `row` (int32,
 * the input row), `prediction` (int32 class; with `classNames` the class's name, text, and its
 * index in `prediction_index`, int32) and `probabilities` (fixed-size list of float32, one per
 * class), after `row` the columns the source kept (`keep`: an id), its schema metadata naming the model
 * (`rxgrad.model`) and the class names (`rxgrad.classNames`) when given. Each block is on disk when written, so memory stays
 * bounded. The file appears, complete, only when the source completes; on error (delivered once
 * the temporary file is gone) or unsubscription nothing is left at `path`.
 *
 * @example
 * readArrow('new.arrow', { unlabelled: true }).pipe(predict(network, { standardizer }), writePredictions('pred.csv')).subscribe();
 */
export function writePredictions(
  path: string,
  options: {
    readonly classNames?: readonly string[] | undefined;
    readonly model?: string;
    readonly keep?: readonly string[] | undefined;
    /** An Arrow file's compression (LZ4 or ZSTD); uncompressed by default. */
    readonly compression?: ArrowCompression | undefined;
  } = {},
): OperatorFunction<Predictions, WrittenPredictions> {
  return (source) =>
    defer(() => {
      const metadata = new Map<string, string>();
      if (options.model) metadata.set('rxgrad.model', options.model);
      if (options.classNames) metadata.set(CLASS_NAMES_KEY, JSON.stringify(options.classNames));
      const keep = options.keep ?? [];
      const format = predictionFormat(path);
      if (!format)
        return throwError(
          () => new RangeError(`writePredictions: ${path}: write predictions to a .csv, .parquet or Arrow (.arrow, .feather, .ipc) file`),
        );
      if (options.compression && format !== 'arrow')
        return throwError(
          () => new RangeError(`writePredictions: ${path} is ${format === 'csv' ? 'CSV' : 'Parquet'}; compression is for Arrow files`),
        );
      const opening =
        format === 'csv'
          ? csvSink(path, options.classNames, keep)
          : format === 'parquet'
            ? parquetSink(path, metadata, keep, options.classNames)
            : arrowSink(path, metadata, keep, options.classNames, options.compression);
      let rows = 0;
      let settled = false;
      const abort = () => {
        if (settled) return Promise.resolve();
        settled = true;
        return opening.then(
          (sink) => sink.abort(),
          () => undefined,
        );
      };
      return from(opening).pipe(
        switchMap((sink) =>
          source.pipe(
            tap((predictions) => {
              sink.write(predictions, rows);
              rows += predictions.rows;
            }),
            ignoreElements(),
            concatWith(
              defer(async () => {
                await sink.close();
                settled = true;
                return { path, rows };
              }),
            ),
          ),
        ),
        catchError((error: unknown) => from(abort()).pipe(switchMap(() => throwError(() => error)))),
        // Unsubscribed before the end: the file may still be opening, so abort once it has.
        finalize(() => void abort()),
      );
    });
}

/**
 * Whether `file` is a predictions file as `writePredictions` writes it (a CSV whose header starts
 * `row,` and names a `prediction` column, or an Arrow file with `prediction` and `probabilities`
 * columns): what `rxgrad predict` replaces without `--force`.
 *
 * @example
 * await isPredictionsFile('pred.csv'); // true after `rxgrad predict … --out pred.csv`
 */
export async function isPredictionsFile(file: string): Promise<boolean> {
  const head = await fileHead(file, 65_536).catch(() => undefined);
  if (!head) return false;
  if (/\.csv$/i.test(file)) {
    const header = head.toString('utf8').split(/\r?\n/, 1)[0]!.split(',');
    return header[0] === 'row' && header.includes('prediction');
  }
  if (/\.parquet$/i.test(file)) {
    // Parquet keeps its schema in the footer, at the end.
    const tail = await fileTail(file, 65_536);
    return head.subarray(0, 4).toString('latin1') === 'PAR1' && tail.includes('prediction') && tail.includes('probabilities');
  }
  const arrow = head.subarray(0, 6).toString('latin1') === 'ARROW1';
  return arrow && head.includes('prediction') && head.includes('probabilities');
}
