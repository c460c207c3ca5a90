/**
 * `rxgrad/distributed`: studies across machines through Redis, apart from the root so that
 * `import 'rxgrad'` loads no queue or Redis client.
 *
 * @example
 * import { RedisTrialPool } from 'rxgrad/distributed';
 * const pool = await RedisTrialPool.open('redis://127.0.0.1:6379', { digest, objective: OBJECTIVES['val-accuracy'] });
 */
export { RedisTrialPool, type TrialJobData } from '../distributed/redisTrialPool.js';
export { openStudyPool } from '../distributed/studyPool.js';
export { startTrialWorker, type TrialWorkerHandle, type TrialWorkerOptions } from '../distributed/trialWorkerNode.js';
