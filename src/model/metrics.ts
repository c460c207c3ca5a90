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
    const precision = ratio(truePositives, predicted[i]!);
    const recall = ratio(truePositives, support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
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
