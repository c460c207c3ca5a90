import { describe, expect, it } from 'vitest';
import { fullBox } from '../../src/tuning/samplers.js';
import { defaultSearchSpace } from '../../src/tuning/space.js';
import { plannedSampler, stableKey, studySampler, trialId } from '../../src/tuning/studySampler.js';
import type { PlannedTrial } from '../../src/tuning/studyStore.js';
import type { TrialRecord } from '../../src/tuning/trial.js';

const space = defaultSearchSpace();
const dims = Object.keys(space).length;
const context = () => {
  const written: PlannedTrial[] = [];
  return {
    written,
    context: {
      space,
      seed: 3,
      records: new Map<string, TrialRecord>(),
      suggested: new Map<string, PlannedTrial>(),
      store: { dir: 'memory', writeSuggestion: async (t: PlannedTrial) => void written.push(t) },
      trials: 20,
    },
  };
};

describe('study samplers behind one interface', () => {
  it('a planned sampler lays out a round when it begins, each point distinct from every earlier round', async () => {
    const sampler = plannedSampler('quasi', { space, seed: 3 });
    const seen = new Set<string>();
    for (const round of [0, 1]) {
      expect(sampler.beginRound(round, 6, fullBox(dims))).toBe(6);
      for (let i = 0; i < 6; i++) {
        const trial = await sampler.trial(round, i);
        expect(trial.id).toBe(trialId(round, i));
        seen.add(stableKey(trial.params));
      }
    }
    expect(seen.size).toBe(12);
  });

  it('TPE suggests when asked, keeps each suggestion, and gives a stored one back unchanged', async () => {
    const { written, context: tpeContext } = context();
    const sampler = studySampler('tpe', tpeContext);
    expect(sampler.beginRound(0, 4, fullBox(dims))).toBe(4);
    const first = await sampler.trial(0, 0);
    expect(written).toEqual([first]);
    expect(await sampler.trial(0, 0)).toBe(first);
    const second = await sampler.trial(0, 1);
    expect(stableKey(second.params)).not.toBe(stableKey(first.params));
    expect([...tpeContext.suggested.keys()]).toEqual(['r0-000', 'r0-001']);
  });

  it('the same settings give the same points', async () => {
    const points = async (name: 'random' | 'grid' | 'tpe') => {
      const sampler = studySampler(name, context().context);
      sampler.beginRound(0, 5, fullBox(dims));
      return Promise.all([0, 1, 2, 3, 4].map((i) => sampler.trial(0, i).then((t) => t.unit)));
    };
    for (const name of ['random', 'grid', 'tpe'] as const) expect(await points(name)).toEqual(await points(name));
  });
});
