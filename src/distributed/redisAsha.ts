import type { Redis } from 'ioredis';
import { ashaDecision, ashaRecordedScore } from '../tuning/asha.js';
import { studyKeys } from './keys.js';

/**
 * `ashaDecision` taken atomically in Redis: record the trial's score at the rung (ARGV[2], already
 * `ashaRecordedScore`; a trial that reports the rung again replaces its score, as the local pruner
 * does), rank it among the finite scores recorded there (n counts only those above the diverged
 * trials' ARGV[6]), go on when the reported score is finite
 * (ARGV[5]) and in the top 1/η (at least the best), and log the decision with the scores it saw.
 * A report from an attempt (ARGV[7]) older than the trial's newest (KEYS[3]) changes nothing: 'stale'.
 */
const DECIDE = `
if ARGV[7] ~= '' and tonumber(ARGV[7]) < tonumber(redis.call('GET', KEYS[3]) or '0') then return 'stale' end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local n = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[6], '+inf')
local keep = math.max(1, math.floor(n / tonumber(ARGV[3])))
local cutoff = tonumber(redis.call('ZREVRANGE', KEYS[1], keep - 1, keep - 1, 'WITHSCORES')[2])
local decision = 'prune'
if ARGV[5] == '1' and tonumber(ARGV[2]) >= cutoff then decision = 'continue' end
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
    /**
     * The decision at a rung epoch; with the `attempt` of the run reporting, a report from an
     * attempt older than the trial's newest is not recorded and is 'stale' (that run stops).
     */
    async decide(trial: string, epoch: number, score: number, attempt?: number): Promise<'continue' | 'prune' | 'stale'> {
      if (!options.rungs.includes(epoch)) return 'continue';
      const recorded = ashaRecordedScore(score);
      const finite = Number.isFinite(score) ? '1' : '0';
      return (await redis.eval(
        DECIDE,
        3,
        keys.rung(epoch),
        keys.ashaLog,
        keys.attempt(trial),
        trial,
        String(recorded),
        String(options.eta),
        String(epoch),
        finite,
        String(-Number.MAX_VALUE),
        attempt === undefined ? '' : String(attempt),
      )) as 'continue' | 'prune' | 'stale';
    },
    async log(): Promise<AshaLogEntry[]> {
      const entries = (await redis.xrange(keys.ashaLog, '-', '+')) as [string, string[]][];
      return entries.map(([, fields]) => {
        const f: Record<string, string> = {};
        for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
        const flat = JSON.parse(f.scores!) as string[];
        const scores = [];
        for (let i = 0; i < flat.length; i += 2) scores.push({ trial: flat[i]!, score: Number(flat[i + 1]) });
        return {
          trial: f.trial!,
          epoch: Number(f.epoch),
          score: Number(f.score),
          decision: f.decision as 'continue' | 'prune',
          keep: Number(f.keep),
          scores,
        };
      });
    },
  };
}

/**
 * Whether a logged decision follows from the scores it saw by `ashaDecision`, the one rule. A
 * replay of the log checks every decision.
 *
 * @example
 * (await asha.log()).every((entry) => decisionFollows(entry, 3)) // true
 */
export function decisionFollows(entry: AshaLogEntry, eta: number): boolean {
  // The log keeps the recorded score; a recorded -MAX_VALUE came from a score that was not finite.
  const reported = entry.score === -Number.MAX_VALUE ? Number.NaN : entry.score;
  const expected = ashaDecision(
    entry.scores.map((s) => s.score),
    reported,
    eta,
  );
  return (
    expected.keep === entry.keep &&
    expected.decision === entry.decision &&
    entry.scores.some((s) => s.trial === entry.trial && s.score === entry.score)
  );
}
