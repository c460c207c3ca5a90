import { catchError, concatWith, defer, finalize, from, ignoreElements, type OperatorFunction, switchMap, tap, throwError } from 'rxjs';
import { arrowRecordBatch, openArrowSink } from './arrowColumns.js';
import type { Predictions } from './predictions.js';

/** What `writePredictions` wrote. */
export interface WrittenPredictions {
  readonly path: string;
  readonly rows: number;
}

/**
 * A sink that writes predictions to an Arrow IPC file with columns `row` (int32, the input row),
 * `prediction` (int32 class) and `probabilities` (fixed-size list of float32, one per class). The
 * file appears, complete, only when the source completes; on error (delivered once the temporary
 * file is gone) or unsubscription the temporary file is removed and nothing is left at `path`.
 *
 * @example
 * readArrow('new.arrow', { unlabelled: true }).pipe(predict(network, { standardizer }), writePredictions('pred.arrow')).subscribe();
 */
export function writePredictions(path: string): OperatorFunction<Predictions, WrittenPredictions> {
  return (source) =>
    defer(() => {
      const opening = openArrowSink(path);
      let rows = 0;
      let settled = false;
      const abort = () => {
        if (settled) return Promise.resolve();
        settled = true;
        return opening.then((sink) => sink.abort(), () => undefined);
      };
      return from(opening).pipe(
        switchMap((sink) =>
          source.pipe(
            tap((predictions) => {
              const row = new Int32Array(predictions.rows);
              for (let i = 0; i < row.length; i++) row[i] = rows + i;
              const columns = [
                { name: 'row', values: row },
                { name: 'prediction', values: predictions.predicted },
                { name: 'probabilities', values: predictions.probabilities, listSize: predictions.classes },
              ];
              sink.write(arrowRecordBatch(columns, 0, predictions.rows));
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
