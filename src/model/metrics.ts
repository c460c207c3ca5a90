import { StandardizerAccumulator } from './standardizer.js';

/** Precision, recall and F1 of one class (or an average of them), and how many examples it had. */
export interface ClassScores {
  /** Of the examples predicted as the class, the share that were: TP / (TP + FP); 0 when none was predicted. */
  readonly precision: number;
  /** Of the class's examples, the share predicted as it: TP / (TP + FN); 0 when it had none. */
  readonly recall: number;
  /** The harmonic mean 2PR / (P + R); 0 when both are 0. */
  readonly f1: number;
  /** The class's examples (for an average, all the examples). */
  readonly support: number;
}

/** Per-class scores and their averages, as scikit-learn's `classification_report` gives them. */
export interface ClassificationScores {
  readonly perClass: readonly ClassScores[];
  /** The unweighted mean over classes: every class counts alike. */
  readonly macro: ClassScores;
  /** The mean over classes weighted by support. */
  readonly weighted: ClassScores;
}

const ratio = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/** The scores of one class (or label) from its true positives, false positives and false negatives. */
function scoresOf(truePositives: number, falsePositives: number, falseNegatives: number): ClassScores {
  return {
    precision: ratio(truePositives, truePositives + falsePositives),
    recall: ratio(truePositives, truePositives + falseNegatives),
    f1: ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives),
    support: truePositives + falseNegatives,
  };
}

/**
 * Precision, recall and F1 of each class from a confusion matrix (rows the actual class, columns
 * the predicted one), with macro and support-weighted averages. An undefined ratio (a class never
 * predicted, or absent) counts as 0, scikit-learn's `zero_division` default.
 *
 * @example
 * classificationScores([[5, 1], [0, 4]]).perClass[0] // { precision: 1, recall: 0.833…, f1: 0.909…, support: 6 }
 */
export function classificationScores(confusion: readonly (readonly number[])[]): ClassificationScores {
  const k = confusion.length;
  const predicted = new Array<number>(k).fill(0);
  for (const row of confusion) row.forEach((count, j) => (predicted[j]! += count));
  const perClass = confusion.map((row, i): ClassScores => {
    const truePositives = row[i]!;
    const support = row.reduce((sum, count) => sum + count, 0);
    return scoresOf(truePositives, predicted[i]! - truePositives, support - truePositives);
  });
  const total = perClass.reduce((sum, c) => sum + c.support, 0);
  const average = (weight: (c: ClassScores) => number, sumOfWeights: number): ClassScores => ({
    precision: ratio(
      perClass.reduce((s, c) => s + weight(c) * c.precision, 0),
      sumOfWeights,
    ),
    recall: ratio(
      perClass.reduce((s, c) => s + weight(c) * c.recall, 0),
      sumOfWeights,
    ),
    f1: ratio(
      perClass.reduce((s, c) => s + weight(c) * c.f1, 0),
      sumOfWeights,
    ),
    support: total,
  });
  return { perClass, macro: average(() => 1, k), weighted: average((c) => c.support, total) };
}

/**
 * The area under the ROC curve of scores for a binary label: the probability that a random
 * positive scores above a random negative, ties counting one half (the Mann–Whitney statistic,
 * equal to scikit-learn's `roc_auc_score`). NaN when either class is absent.
 *
 * @example
 * rocAuc(Float64Array.of(0.1, 0.4, 0.35, 0.8), Uint8Array.of(0, 0, 1, 1), 4) // 0.75
 */
export function rocAuc(scores: ArrayLike<number>, positives: ArrayLike<number>, n = scores.length): number {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positiveCount = 0;
  let rankSum = 0;
  // Ranks from 1, ties sharing the mean of the ranks they span.
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    const meanRank = (start + 1 + end) / 2;
    for (let r = start; r < end; r++) {
      if (positives[order[r]!]) {
        positiveCount++;
        rankSum += meanRank;
      }
    }
    start = end;
  }
  const negativeCount = n - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) return Number.NaN;
  return (rankSum - (positiveCount * (positiveCount + 1)) / 2) / (positiveCount * negativeCount);
}

/** How close a regression's predictions came, per target and averaged over targets. */
export interface RegressionScores {
  /** √(mean squared error), in the target's units. */
  readonly rmse: number;
  /** Mean absolute error, in the target's units. */
  readonly mae: number;
  /** 1 − SSE / Σ(y − ȳ)²: 1 is perfect, 0 is predicting the mean; NaN for a constant target. */
  readonly r2: number;
}

/**
 * Regression scores over a stream of predictions, as scikit-learn computes them on the whole set
 * (`root_mean_squared_error`, `mean_absolute_error`, `r2_score`; several targets averaged
 * uniformly). Each target's spread is accumulated as the standardizer's statistics are (Chan's
 * pairwise merge), so a target with a large mean keeps its precision.
 *
 * @example
 * const scores = new RegressionAccumulator(1);
 * scores.add(Float32Array.of(2.5, 0, 2), Float32Array.of(3, -0.5, 2), 3);
 * scores.result().mean.r2 // 0.9231 (of these three rows alone)
 */
export class RegressionAccumulator {
  private readonly squared: Float64Array;
  private readonly absolute: Float64Array;
  /** The actual values' mean and spread, for R². */
  private readonly actual: StandardizerAccumulator;

  /** @param targets values predicted per row. */
  constructor(readonly targets: number) {
    this.squared = new Float64Array(targets);
    this.absolute = new Float64Array(targets);
    this.actual = new StandardizerAccumulator(targets);
  }

  /** Adds `rows` rows of predictions and actual values (rows × targets, row-major). */
  add(predicted: ArrayLike<number>, actual: ArrayLike<number>, rows: number): void {
    const t = this.targets;
    for (let k = 0; k < rows * t; k++) {
      const d = predicted[k]! - actual[k]!;
      this.squared[k % t]! += d * d;
      this.absolute[k % t]! += Math.abs(d);
    }
    this.actual.add(actual, rows);
  }

  /** Each target's scores, and their uniform mean. */
  result(): { readonly perTarget: readonly RegressionScores[]; readonly mean: RegressionScores } {
    const n = this.actual.rows;
    const spread = this.actual.sumsOfSquares();
    const perTarget = Array.from(this.squared, (sse, j) => ({
      rmse: Math.sqrt(sse / n),
      mae: this.absolute[j]! / n,
      r2: spread[j]! > 0 ? 1 - sse / spread[j]! : Number.NaN,
    }));
    const average = (pick: (s: RegressionScores) => number) => perTarget.reduce((sum, s) => sum + pick(s), 0) / perTarget.length;
    return { perTarget, mean: { rmse: average((s) => s.rmse), mae: average((s) => s.mae), r2: average((s) => s.r2) } };
  }
}

/** How a multi-label classifier did: every label of a row is its own yes/no question. */
export interface MultilabelScores {
  /** Rows whose every label was right (scikit-learn's `accuracy_score` on label sets). */
  readonly subsetAccuracy: number;
  /** The share of (row, label) answers that were wrong. */
  readonly hammingLoss: number;
  /** F1 of all (row, label) answers pooled. */
  readonly microF1: number;
  /** The mean of each label's F1 (0 for a label never predicted nor present). */
  readonly macroF1: number;
  /** Each label's precision, recall, F1 and support (rows where it is 1). */
  readonly perLabel: readonly ClassScores[];
}

/**
 * Multi-label scores over a stream of 0/1 predictions (a probability ≥ `threshold` is a yes), as
 * scikit-learn's `accuracy_score`, `hamming_loss` and `f1_score(average='micro'|'macro')` compute
 * them on the whole set.
 *
 * @example
 * const scores = new MultilabelAccumulator(3);
 * scores.add(Float32Array.of(0.9, 0.2, 0.7), Float32Array.of(1, 0, 0), 1);
 * scores.result().hammingLoss // 1/3
 */
export class MultilabelAccumulator {
  private rows = 0;
  private exact = 0;
  private readonly truePositives: Float64Array;
  private readonly falsePositives: Float64Array;
  private readonly falseNegatives: Float64Array;

  /** @param labels yes/no answers per row; @param threshold the probability from which an answer is yes. */
  constructor(
    readonly labels: number,
    readonly threshold = 0.5,
  ) {
    this.truePositives = new Float64Array(labels);
    this.falsePositives = new Float64Array(labels);
    this.falseNegatives = new Float64Array(labels);
  }

  /** Adds `rows` rows of probabilities and 0/1 targets (rows × labels, row-major). */
  add(probabilities: ArrayLike<number>, targets: ArrayLike<number>, rows: number): void {
    const k = this.labels;
    for (let i = 0; i < rows; i++) {
      let wrong = 0;
      for (let j = 0; j < k; j++) {
        const yes = probabilities[i * k + j]! >= this.threshold;
        const actual = targets[i * k + j]! > 0.5;
        if (yes && actual) this.truePositives[j]!++;
        else if (yes) this.falsePositives[j]!++;
        else if (actual) this.falseNegatives[j]!++;
        if (yes !== actual) wrong++;
      }
      if (wrong === 0) this.exact++;
      this.rows++;
    }
  }

  result(): MultilabelScores {
    const perLabel = Array.from(this.truePositives, (tp, j) => scoresOf(tp, this.falsePositives[j]!, this.falseNegatives[j]!));
    const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
    const [tp, fp, fn] = [sum(this.truePositives), sum(this.falsePositives), sum(this.falseNegatives)];
    return {
      subsetAccuracy: ratio(this.exact, this.rows),
      hammingLoss: ratio(fp + fn, this.rows * this.labels),
      microF1: scoresOf(tp, fp, fn).f1,
      macroF1: perLabel.reduce((s, c) => s + c.f1, 0) / this.labels,
      perLabel,
    };
  }
}
