import { objectiveSetting } from '../tuning/objective.js';
import { studyStore } from '../tuning/studyStore.js';
import { summarizeStudy, summaryJson } from '../tuning/studySummary.js';
import { type CliIo, writeLine } from './io.js';
import { withQueueLibraries } from './queueLibraries.js';
import { writeLeaderboard } from './tune.js';

/**
 * `rxgrad study DIR`: a finished or running study's counts, running trials and leaderboard; with
 * `--clean-redis URL`, removes what the study left in Redis instead.
 */
export async function studyCommand(dir: string, options: { json: boolean; cleanRedis?: string }, io: CliIo): Promise<void> {
  if (options.cleanRedis !== undefined) {
    const url = options.cleanRedis;
    const { cleanStudyRedis } = await withQueueLibraries('--clean-redis', () => import('../distributed/studyPool.js'));
    const { redactRedisUrl } = await import('../distributed/redisConnection.js');
    const cleaned = await cleanStudyRedis(url, dir);
    if (options.json) return writeLine(io.stdout, JSON.stringify(cleaned));
    return writeLine(io.stdout, `removed study ${cleaned.id}'s ${cleaned.jobs} jobs and ${cleaned.keys} keys from ${redactRedisUrl(url)}`);
  }
  const store = studyStore(dir);
  const { settings } = await store.readStudy();
  const summary = summarizeStudy(await store.readRecords());
  const running = await store.checkpointed();
  if (options.json) return writeLine(io.stdout, JSON.stringify({ ...summaryJson(summary), interrupted: running }));
  const sampler = typeof settings.sampler === 'object' ? settings.sampler.type : settings.sampler;
  const objective = objectiveSetting(settings);
  writeLine(
    io.stdout,
    `study ${dir}: ${sampler} sampler, seed ${settings.seed}, pruning ${settings.prune}, up to ${settings.base.epochs} epochs a trial, ${objective.direction === 'maximize' ? 'maximizing' : 'minimizing'} ${objective.name}`,
  );
  if (running.length > 0) writeLine(io.stdout, `running or interrupted: ${running.join(', ')}`);
  writeLeaderboard(io.stdout, summary);
}
