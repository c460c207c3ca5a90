import { DataError, ModelFormatError } from '../errors.js';
import { loadModel, type ModelBundle } from '../files/serialization.js';
import { type CsvDialect, csvDialectOf, inspectData, readData } from '../streams/readData.js';

/** Loads a saved model and opens a data file with the model's columns, checking that they fit. */
export async function modelAndData(modelDir: string, file: string, unlabelled: boolean, dialect: CsvDialect = {}, keep?: readonly string[]) {
  const fileOptions = csvDialectOf(dialect);
  const bundle: ModelBundle = await loadModel(modelDir);
  if (!bundle.columns) throw new ModelFormatError(modelDir, 'the model does not record which columns it reads; save it with rxgrad train');
  const { label, features, classNames, fillMissing } = bundle.columns;
  if (fillMissing && fillMissing.length !== bundle.network.inputSize) throw new ModelFormatError(modelDir, `'columns.fillMissing' has ${fillMissing.length} values, the model ${bundle.network.inputSize} inputs`);
  const layout = await inspectData(file, { ...fileOptions, label, features, unlabelled });
  if (layout.cols !== bundle.network.inputSize) {
    throw new DataError('the data does not fit the model', { file, expected: `${bundle.network.inputSize} feature values per row`, actual: `${layout.cols}` });
  }
  const data$ = readData(file, { ...fileOptions, label, features, unlabelled, classes: bundle.network.classes, recycle: true, keepBytes: true, ...(classNames ? { classNames } : {}), ...(fillMissing ? { fillMissing } : {}), ...(keep ? { keep } : {}) });
  return { bundle, data$ };
}
