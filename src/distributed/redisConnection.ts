import { Redis } from 'ioredis';
import { StudyError } from '../errors.js';

/**
 * A Redis URL fit to print: the password (and a user name with it) replaced by `***`.
 *
 * @example
 * redactRedisUrl('redis://:s3cret@db.local:6379/2') // "redis://:***@db.local:6379/2"
 */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^@/]*)@/, '//***@');
  }
}

/** Removes a URL's password from a message (ioredis can repeat what it was given). */
export function withoutSecrets(message: string, url: string): string {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.split(password).join('***') : message;
  } catch {
    return message;
  }
}

/**
 * Opens a connection to Redis from a `redis://[:password@]host:port[/db]` or `rediss://` (TLS)
 * URL and checks it answers: a wrong address, password or database is a `StudyError` whose
 * message names the server without its password. BullMQ needs `maxRetriesPerRequest: null`.
 *
 * @example
 * const redis = await openRedis('redis://127.0.0.1:6379');
 */
export async function openRedis(url: string, options: { readonly connectTimeout?: number } = {}): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new StudyError(`--redis ${redactRedisUrl(url)}: expected a redis:// or rediss:// URL`);
  let redis: Redis;
  try {
    // disconnectTimeout: a socket Redis does not close at once (BullMQ's blocking one, mid-BZPOPMIN)
    // is cut after 300 ms, not ioredis's 2 s, so that a stopped worker ends promptly.
    redis = new Redis(url, {
      maxRetriesPerRequest: null,
      lazyConnect: true,
      connectTimeout: options.connectTimeout ?? 5000,
      disconnectTimeout: 300,
      retryStrategy: () => null,
    });
  } catch {
    // ioredis's own words are a TypeError naming the whole URL, password and all.
    throw new StudyError(`--redis ${redactRedisUrl(url)}: not a valid URL; percent-encode a password's / # : @ (as %2F %23 %3A %40)`);
  }
  // What went wrong is told on the error event (WRONGPASS…); the promise only says the connection closed.
  let reason: Error | undefined;
  redis.on('error', (error: Error) => (reason ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const message = withoutSecrets((reason ?? (error as Error)).message, url);
    const hint = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message) ? ' (check the password in the URL)' : '';
    throw new StudyError(`redis ${redactRedisUrl(url)}: cannot connect: ${message}${hint}`);
  }
  // From here on, reconnect as Redis comes back (a restart): BullMQ waits for it.
  redis.options.retryStrategy = (times: number) => Math.min(times * 200, 2000);
  return redis;
}
