import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { balancedClassWeights, classWeightsOf, isClassWeightSetting } from '../../src/model/classWeights.js';
import { type ClassScores, classificationScores, MultilabelAccumulator, RegressionAccumulator, rocAuc } from '../../src/model/metrics.js';

type SkScores = { precision: number; recall: number; 'f1-score': number; support: number };
const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/metrics/metrics.json'), 'utf8')) as {
  reports: { confusion: number[][]; perClass: SkScores[]; macro: SkScores; weighted: SkScores }[];
  aucs: { scores: number[]; positives: number[]; rocAuc: number }[];
  balanced: { counts: number[]; weights: number[] }[];
  regression: {
    targets: number;
    actual: number[];
    predicted: number[];
    rmse: number;
    mae: number;
    r2: number;
    perTarget: { rmse: number[]; r2: number[] };
  }[];
  multilabel: {
    labels: number;
    actual: number[];
    probabilities: number[];
    subsetAccuracy: number;
    hammingLoss: number;
    microF1: number;
    macroF1: number;
    perLabel: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  }[];
};

const expectScores = (ours: ClassScores, theirs: SkScores) => {
  expect(ours.precision).toBeCloseTo(theirs.precision, 14);
  expect(ours.recall).toBeCloseTo(theirs.recall, 14);
  expect(ours.f1).toBeCloseTo(theirs['f1-score'], 14);
  expect(ours.support).toBe(theirs.support);
};

describe("classification scores, against scikit-learn's classification_report", () => {
  fixture.reports.forEach((report, n) => {
    it(`case ${n}: ${report.confusion.length} classes${n === 3 ? ', one never predicted and one absent' : ''}`, () => {
      const scores = classificationScores(report.confusion);
      scores.perClass.forEach((c, i) => expectScores(c, report.perClass[i]!));
      expectScores(scores.macro, report.macro);
      expectScores(scores.weighted, report.weighted);
    });
  });

  it('counts an undefined ratio as 0', () => {
    expect(
      classificationScores([
        [0, 0],
        [3, 0],
      ]).perClass,
    ).toEqual([
      { precision: 0, recall: 0, f1: 0, support: 0 },
      { precision: 0, recall: 0, f1: 0, support: 3 },
    ]);
  });
});

describe("ROC-AUC, against scikit-learn's roc_auc_score", () => {
  fixture.aucs.forEach((c, n) => {
    it(`case ${n}: ${c.scores.length} scores${n > 0 ? ', with ties' : ''}`, () => {
      expect(rocAuc(c.scores, c.positives)).toBeCloseTo(c.rocAuc, 14);
    });
  });

  it('reads only the first n scores, and is NaN when a class is absent', () => {
    expect(rocAuc(Float64Array.of(0.1, 0.4, 0.35, 0.8, 0), Uint8Array.of(0, 0, 1, 1, 1), 4)).toBe(0.75);
    expect(rocAuc([0.2, 0.5], [1, 1])).toBeNaN();
  });
});

describe('class weights', () => {
  it("'balanced' is scikit-learn's compute_class_weight('balanced'), n / (k · count)", () => {
    for (const c of fixture.balanced) {
      Array.from(balancedClassWeights(c.counts)).forEach((w, i) => expect(w).toBeCloseTo(c.weights[i]!, 14));
    }
    expect(Array.from(balancedClassWeights([4, 0]))).toEqual([0.5, 0]);
  });

  it('weighs the classes named, the others 1, and names a class the data does not have', () => {
    expect(Array.from(classWeightsOf({ spam: 4 }, [80, 20], ['ham', 'spam']))).toEqual([1, 4]);
    expect(Array.from(classWeightsOf({ 2: 0.5 }, [1, 1, 1]))).toEqual([1, 1, 0.5]);
    expect(() => classWeightsOf({ eggs: 2 }, [80, 20], ['ham', 'spam'])).toThrow(
      "class 'eggs' is not one of the data's classes (ham, spam)",
    );
    expect([
      isClassWeightSetting('balanced'),
      isClassWeightSetting({ a: 1 }),
      isClassWeightSetting({ a: -1 }),
      isClassWeightSetting([1]),
    ]).toEqual([true, true, false, false]);
  });
});

describe('regression scores, against scikit-learn', () => {
  fixture.regression.forEach((c, n) => {
    it(`case ${n}: ${c.targets} target(s)${n === 1 ? ' around 1e6' : ''}, added in uneven pieces`, () => {
      const scores = new RegressionAccumulator(c.targets);
      const rows = c.actual.length / c.targets;
      // Pieces of 7 rows, as mini-batches would come.
      for (let start = 0; start < rows; start += 7) {
        const end = Math.min(rows, start + 7);
        scores.add(c.predicted.slice(start * c.targets, end * c.targets), c.actual.slice(start * c.targets, end * c.targets), end - start);
      }
      const { mean, perTarget } = scores.result();
      expect(mean.rmse).toBeCloseTo(c.rmse, 10);
      expect(mean.mae).toBeCloseTo(c.mae, 10);
      expect(mean.r2).toBeCloseTo(c.r2, 10);
      perTarget.forEach((s, j) => {
        expect(s.rmse).toBeCloseTo(c.perTarget.rmse[j]!, 10);
        expect(s.r2).toBeCloseTo(c.perTarget.r2[j]!, 10);
      });
    });
  });

  it('R² is NaN for a constant target', () => {
    const scores = new RegressionAccumulator(1);
    scores.add([1, 2], [3, 3], 2);
    expect(scores.result().mean.r2).toBeNaN();
  });
});

describe('multi-label scores, against scikit-learn', () => {
  fixture.multilabel.forEach((c, n) => {
    it(`case ${n}: ${c.labels} labels, one that no row has`, () => {
      const scores = new MultilabelAccumulator(c.labels);
      scores.add(c.probabilities, c.actual, c.actual.length / c.labels);
      const result = scores.result();
      expect(result.subsetAccuracy).toBeCloseTo(c.subsetAccuracy, 14);
      expect(result.hammingLoss).toBeCloseTo(c.hammingLoss, 14);
      expect(result.microF1).toBeCloseTo(c.microF1, 14);
      expect(result.macroF1).toBeCloseTo(c.macroF1, 14);
      result.perLabel.forEach((l, j) => {
        expect(l.precision).toBeCloseTo(c.perLabel.precision[j]!, 14);
        expect(l.recall).toBeCloseTo(c.perLabel.recall[j]!, 14);
        expect(l.f1).toBeCloseTo(c.perLabel.f1[j]!, 14);
        expect(l.support).toBe(c.perLabel.support[j]);
      });
    });
  });
});
