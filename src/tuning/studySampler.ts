import { StudyError } from '../errors.js';
import { createRandom } from '../model/random.js';
import { valueAt } from './distributions.js';
import { scoreOf } from './objective.js';
import { fullBox, type SamplerName, samplePoints, type UnitBox } from './samplers.js';
import type { Params, SearchSpace } from './space.js';
import type { PlannedTrial, StudyStore } from './studyStore.js';
import { suggestTpe, type TpeObservation, type TpeSettings, tpeDimensions, tpeSettingsOf } from './tpe.js';
import type { TrialRecord } from './trial.js';

/**
 * How a study chooses its trials, round by round. A round begins with its size; each of its
 * trials is then asked for when a slot frees to run it: a planned sampler (random, grid, quasi)
 * hands out the round's plan, laid out when it began; TPE suggests from what has finished by then.
 */
export interface StudySampler {
  /** Begins round `round` of `count` trials inside `box`: how many trials it has (a grid may run out of distinct points). */
  beginRound(round: number, count: number, box: UnitBox): number;
  /** Trial `index` of the round begun last. */
  trial(round: number, index: number): Promise<PlannedTrial>;
}

/** What a sampler knows of its study: the space, the seed, and (for TPE) what was tried and where suggestions are kept. */
export interface StudySamplerContext {
  readonly space: SearchSpace;
  readonly seed: number;
  /** Finished trials by id, as the study keeps them up to date. */
  readonly records: ReadonlyMap<string, TrialRecord>;
  /** Trials suggested but not finished, by id (read from the store; TPE adds to it). */
  readonly suggested: Map<string, PlannedTrial>;
  readonly store: Pick<StudyStore, 'dir' | 'writeSuggestion'>;
  /** The study's trials in all, for the message when TPE runs out of new points. */
  readonly trials: number;
}

/** A trial's id: its round and index. */
export const trialId = (round: number, index: number) => `r${round}-${String(index).padStart(3, '0')}`;

/** Configurations compare by their parameters, whatever their order. */
export function stableKey(params: Params): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}

/**
 * The sampler a study's settings name: TPE for `'tpe'` or `tpe(options)`, else the planned
 * sampler of that name.
 *
 * @example
 * import { studyStore } from './studyStore.js';
 * const store = studyStore('studies/a');
 * const records = new Map((await store.readRecords()).map((r) => [r.id, r]));
 * const sampler = studySampler(settings.sampler, { space, seed: 1, records, suggested: new Map(), store, trials: 40 });
 */
export function studySampler(name: SamplerName | 'tpe' | TpeSettings, context: StudySamplerContext): StudySampler {
  const tpe = tpeSettingsOf(name);
  return tpe ? tpeSampler(tpe, context) : plannedSampler(name as SamplerName, context);
}

const paramsAt = (space: SearchSpace, names: readonly string[], unit: readonly number[]): Params =>
  Object.fromEntries(names.map((name, d) => [name, valueAt(space[name]!, unit[d]!)]));

/**
 * Random, grid or quasi-random points, laid out for a round when it begins. Every round is laid
 * out again from the start on a resume, so the plans only avoid each other, not the records:
 * each round's points are distinct from every earlier round's.
 */
export function plannedSampler(sampler: SamplerName, { space, seed }: Pick<StudySamplerContext, 'space' | 'seed'>): StudySampler {
  const names = Object.keys(space).sort();
  const laidOut = new Set<string>();
  let plan: PlannedTrial[] = [];
  return {
    beginRound(round, count, storedBox) {
      const box = storedBox.low.length === names.length ? storedBox : fullBox(names.length);
      plan = [];
      let offset = 0;
      // A grid is laid out for its count at once; the other samplers draw more when configurations repeat.
      const batch = sampler === 'grid' ? count : Math.max(count, 8);
      while (plan.length < count && offset < count * 50) {
        const points = samplePoints(sampler, batch, names.length, { seed: `${seed}:${round}`, offset, box });
        offset += batch;
        for (const unit of points) {
          const params = paramsAt(space, names, unit);
          const key = stableKey(params);
          if (laidOut.has(key)) continue;
          laidOut.add(key);
          plan.push({ id: trialId(round, plan.length), round, params, unit });
          if (plan.length === count) break;
        }
        if (sampler === 'grid') break;
      }
      return plan.length;
    },
    trial: async (_round, index) => plan[index]!,
  };
}

/**
 * TPE: each trial's point suggested when its slot frees, from every finished trial and, as bad
 * guesses, the ones still running; a configuration already tried or suggested is never suggested
 * again. A suggestion is stored before its trial starts, so a resumed study suggests what it would
 * have.
 */
export function tpeSampler(settings: TpeSettings, context: StudySamplerContext): StudySampler {
  const { space, seed, records, suggested, store } = context;
  const names = Object.keys(space).sort();
  const dimensions = tpeDimensions(names.map((name) => space[name]!));
  const tried = new Set([...records.values(), ...suggested.values()].map((t) => stableKey(t.params)));
  let current = { count: 0, box: fullBox(names.length) };
  return {
    beginRound(_round, count, box) {
      current = { count, box };
      return count;
    },
    async trial(round, index) {
      const id = trialId(round, index);
      const stored = suggested.get(id);
      if (stored) return stored;
      const { count, box } = current;
      const history: TpeObservation[] = [
        ...[...records.values()]
          .filter((r) => r.status !== 'failed' && scoreOf(r) !== null)
          .sort((a, b) => a.id.localeCompare(b.id))
          .map(
            (r): TpeObservation => ({
              unit: r.unit,
              state: r.status === 'completed' ? 'completed' : 'pruned',
              score: scoreOf(r)!,
              epochs: r.epochs,
            }),
          ),
        ...[...suggested.values()].map((t): TpeObservation => ({ unit: t.unit, state: 'running', score: -Infinity, epochs: 0 })),
      ];
      let planned: PlannedTrial | undefined;
      for (let attempt = 0; attempt < 50 && !planned; attempt++) {
        const unit =
          suggestTpe(dimensions, history, box, createRandom(`tpe:${seed}:${id}:${attempt}`), settings) ??
          samplePoints('random', 1, names.length, { seed: `${seed}:${round}`, offset: index + attempt * count, box })[0]!;
        const params = paramsAt(space, names, unit);
        if (!tried.has(stableKey(params))) planned = { id, round, params, unit };
      }
      if (!planned)
        throw new StudyError(
          `${store.dir}: TPE found no configuration that was not tried already for ${id}; the space may be too small for ${context.trials} trials`,
        );
      tried.add(stableKey(planned.params));
      suggested.set(id, planned);
      await store.writeSuggestion(planned);
      return planned;
    },
  };
}
