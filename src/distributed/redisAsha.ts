import type { Redis } from 'ioredis';
import { studyKeys } from './keys.js';

/**
 * ASHA's decision at a rung, taken atomically in Redis: record the trial's score at the rung (a
 * trial that reports the same rung again, after a resume, replaces its score rather than adding
 * one), rank it among every score recorded there, go on when it is in the top 1/η (at least the
 * best), and log the decision with the scores it saw.
 */
const DECIDE = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local keep = math.max(1, math.floor(n / tonumber(ARGV[3])))
local cutoff = tonumber(redis.call('ZREVRANGE', KEYS[1], keep - 1, keep - 1, 'WITHSCORES')[2])
local decision = 'prune'
if tonumber(ARGV[2]) >= cutoff then decision = 'continue' end
local seen = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
redis.call('XADD', KEYS[2], '*', 'trial', ARGV[1], 'epoch', ARGV[4], 'score', ARGV[2], 'decision', decision, 'keep', keep, 'scores', cjson.encode(seen))
return decision
`;

/** One logged decision. */
export interface AshaLogEntry {
  readonly trial: string;
  readonly epoch: number;
  readonly score: number;
  readonly decision: 'continue' | 'prune';
  readonly keep: number;
  /** Every score at the rung when it was decided, the trial's own included. */
  readonly scores: readonly { readonly trial: string; readonly score: number }[];
}

/**
 * ASHA across machines: `decide` at a rung epoch (others always continue), with every decision in
 * a Redis stream (`log`).
 *
 * @example
 * const asha = redisAsha(redis, 'ab12…', { rungs: [1, 3, 9], eta: 3 });
 * await asha.decide('r0-004', 3, 0.91); // 'continue' or 'prune'
 */
export function redisAsha(redis: Redis, study: string, options: { readonly rungs: readonly number[]; readonly eta: number }) {
  const keys = studyKeys(study);
  return {
    async decide(trial: string, epoch: number, score: number): Promise<'continue' | 'prune'> {
      if (!options.rungs.includes(epoch)) return 'continue';
      const finite = Number.isFinite(score) ? score : -1e300;
      return (await redis.eval(DECIDE, 2, keys.rung(epoch), keys.ashaLog, trial, String(finite), String(options.eta), String(epoch))) as 'continue' | 'prune';
    },
    async log(): Promise<AshaLogEntry[]> {
      const entries = (await redis.xrange(keys.ashaLog, '-', '+')) as [string, string[]][];
      return entries.map(([, fields]) => {
        const f = Object.fromEntries(fields.reduce<[string, string][]>((pairs, v, i) => (i % 2 ? pairs : [...pairs, [v, fields[i + 1]!]]), []));
        const flat = JSON.parse(f.scores!) as string[];
        const scores = [];
        for (let i = 0; i < flat.length; i += 2) scores.push({ trial: flat[i]!, score: Number(flat[i + 1]) });
        return { trial: f.trial!, epoch: Number(f.epoch), score: Number(f.score), decision: f.decision as 'continue' | 'prune', keep: Number(f.keep), scores };
      });
    },
  };
}

/**
 * Whether a logged decision follows from the scores it saw: continue exactly when the score is at
 * least the `keep`-th best, keep = max(1, ⌊n/η⌋). A replay of the log checks every decision.
 *
 * @example
 * redisAshaLogIsConsistent(await asha.log(), 3) // true
 */
export function decisionFollows(entry: AshaLogEntry, eta: number): boolean {
  const sorted = entry.scores.map((s) => s.score).sort((a, b) => b - a);
  const keep = Math.max(1, Math.floor(sorted.length / eta));
  return keep === entry.keep && (entry.score >= sorted[keep - 1]! ? 'continue' : 'prune') === entry.decision && entry.scores.some((s) => s.trial === entry.trial && s.score === entry.score);
}
