import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { Predictions } from './predictions.js';
import { arrowRecordBatch, openArrowSink } from './arrowColumns.js';

/** What `writePredictions` wrote. */
export interface WrittenPredictions {
  readonly path: string;
  readonly rows: number;
}

/**
 * A sink that writes predictions to an Arrow IPC file with columns `row` (int32, the input row),
 * `prediction` (int32 class) and `probabilities` (fixed-size list of float32, one per class). The
 * file appears, complete, only when the source completes; on error or unsubscription the temporary
 * file is removed and nothing is left at `path`.
 *
 * @example
 * readArrow('new.arrow', { unlabelled: true }).pipe(predict(network, { standardizer }), writePredictions('pred.arrow')).subscribe();
 */
export function writePredictions(path: string): OperatorFunction<Predictions, WrittenPredictions> {
  return (source) =>
    new Observable<WrittenPredictions>((subscriber) => {
      let sink: Awaited<ReturnType<typeof openArrowSink>> | undefined;
      let subscription: Subscription | undefined;
      let settled = false;
      let rows = 0;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        subscription?.unsubscribe();
        void (sink?.abort() ?? Promise.resolve()).finally(() => subscriber.error(error));
      };
      openArrowSink(path).then((opened) => {
        sink = opened;
        if (subscriber.closed) return void opened.abort();
        subscription = source.subscribe({
          next(predictions) {
            try {
              const row = new Int32Array(predictions.rows);
              for (let i = 0; i < row.length; i++) row[i] = rows + i;
              opened.write(
                arrowRecordBatch(
                  [
                    { name: 'row', values: row },
                    { name: 'prediction', values: predictions.predicted },
                    { name: 'probabilities', values: predictions.probabilities, listSize: predictions.classes },
                  ],
                  0,
                  predictions.rows,
                ),
              );
              rows += predictions.rows;
            } catch (error) {
              fail(error);
            }
          },
          error: fail,
          complete() {
            opened.close().then(() => {
              if (settled) return;
              settled = true;
              subscriber.next({ path, rows });
              subscriber.complete();
            }, fail);
          },
        });
      }, fail);
      return () => {
        subscription?.unsubscribe();
        if (!settled) {
          settled = true;
          void sink?.abort();
        }
      };
    });
}
