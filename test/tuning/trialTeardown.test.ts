import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inspectArrow } from '../../src/streams/arrow/readArrow.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { runTrial, type TrialSpec } from '../../src/tuning/trial.js';
import { watchHandles } from '../helpers/fileHandles.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

describe('a trial pruned mid-run', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stops training and reading at the prune: no further epoch opens the file, every handle is closed', async () => {
    const { features } = await inspectArrow(DIGITS_TRAIN);
    const spec: TrialSpec = {
      id: 'r0-000',
      round: 0,
      params: {},
      unit: [],
      config: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs: 6 },
      data: { file: DIGITS_TRAIN, label: 'label', features },
      validation: { fraction: 0.2, seed: 1 },
      standardizer: undefined,
      inputSize: 64,
      classes: 10,
      checkpointDir: tempDir(),
    };
    const handles = watchHandles();
    let asked = 0;
    const events = await lastValueFrom(runTrial(spec, () => ++asked < 2).pipe(toArray()));
    // The data file's handles (a checkpoint's writes open handles too, to flush them to disk).
    const data = () => handles.filter((h) => h.path === DIGITS_TRAIN);
    const opened = data().length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const end = events.at(-1)!;
    expect(end.type === 'end' && end.record.status).toBe('pruned');
    expect(end.type === 'end' && end.record.epochs).toBe(2);
    expect(asked).toBe(2);
    // Two epochs, each reading the training part and the validation part once (checkpoints are
    // written, not opened); nothing opened after the run ended, and nothing left open.
    expect(data().length).toBe(opened);
    expect(opened).toBe(4);
    expect(handles.every((h) => h.closed)).toBe(true);
  });
});
