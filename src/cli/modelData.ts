import { existsSync } from 'node:fs';
import { finalize } from 'rxjs';
import { DataError, ModelFormatError } from '../errors.js';
import { hasModel, MODEL_FILES } from '../files/modelLayout.js';
import { loadModel, type ModelBundle } from '../files/serialization.js';
import { oneHotWidth, UnseenLevels } from '../streams/categories.js';
import { type CsvDialect, csvDialectOf, inspectData, readData } from '../streams/readData.js';
import { latestCheckpoint } from '../training/checkpoints.js';

/**
 * The model directory `--model DIR` names: DIR itself when it holds a model, or, for a run folder
 * (babysit --dir, whose models are its epoch checkpoints), its newest checkpoint, said in `notice`.
 */
async function modelDirectoryOf(dir: string, notice: (line: string) => void): Promise<string> {
  // A model directory, or no directory at all (loadModel says what is missing).
  if (!existsSync(dir) || hasModel(dir)) return dir;
  const newest = await latestCheckpoint(dir);
  if (!newest)
    throw new ModelFormatError(
      dir,
      `no model here (no ${MODEL_FILES.index}, no epoch checkpoint): give a directory written by train --save, or a babysit run folder`,
    );
  notice(
    `--model ${dir}: a run folder; using its newest checkpoint, ${newest.path} (epoch ${newest.epoch}); give --model ${newest.path} or another epoch's to choose`,
  );
  return newest.path;
}

/** Loads a saved model (or a run folder's newest checkpoint) and opens a data file with the model's columns, checking that they fit. */
export async function modelAndData(
  modelDir: string,
  file: string,
  unlabelled: boolean,
  dialect: CsvDialect = {},
  keep?: readonly string[],
  notice: (line: string) => void = () => undefined,
) {
  const fileOptions = csvDialectOf(dialect);
  const bundle: ModelBundle = await loadModel(await modelDirectoryOf(modelDir, notice));
  if (!bundle.columns) throw new ModelFormatError(modelDir, 'the model does not record which columns it reads; save it with rxgrad train');
  const { label, features, classNames, fillMissing, categories = [] } = bundle.columns;
  // The numeric features come first, then each categorical column's one-hot inputs.
  const numeric = bundle.network.inputSize - oneHotWidth(categories);
  if (fillMissing && fillMissing.length !== numeric)
    throw new ModelFormatError(modelDir, `'columns.fillMissing' has ${fillMissing.length} values, the model ${numeric} numeric inputs`);
  const layout = await inspectData(file, { ...fileOptions, label, features, unlabelled });
  if (layout.cols !== numeric) {
    throw new DataError('the data does not fit the model', {
      file,
      expected: `${numeric} feature values per row`,
      actual: `${layout.cols}`,
    });
  }
  const missing = categories.find((c) => !layout.columns?.includes(c.column));
  if (missing)
    throw new DataError('missing categorical column', { file, column: missing.column, expected: 'the column the model was trained with' });
  // Cells whose level the model never saw are read as zeros and said once, when the data ends.
  const unseen = new UnseenLevels();
  const data$ = readData(file, {
    ...(categories.length > 0 ? { categories, onUnseenLevel: unseen.note } : {}),
    ...fileOptions,
    label,
    features,
    unlabelled,
    classes: bundle.network.classes,
    recycle: true,
    keepBytes: true,
    ...(classNames ? { classNames } : {}),
    ...(fillMissing ? { fillMissing } : {}),
    ...(keep ? { keep } : {}),
  }).pipe(finalize(() => unseen.lines().forEach(notice)));
  return { bundle, data$ };
}
