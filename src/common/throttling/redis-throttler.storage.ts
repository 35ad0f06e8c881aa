import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisClient } from '../redis/redis.module.js';

/**
 * One hit, atomically: a fixed window of `ttl` ms counted in KEYS[1]; past `limit` hits the key
 * KEYS[2] blocks for `blockDuration` ms. Answers { hits, windowMsLeft, blocked, blockMsLeft }.
 */
const HIT = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return { tonumber(redis.call('GET', KEYS[1]) or ARGV[2]), redis.call('PTTL', KEYS[1]), 1, blocked }
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { hits, left, 1, tonumber(ARGV[3]) }
end
return { hits, left, 0, 0 }
`;

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * @nestjs/throttler's storage on the shared Redis (under REDIS_PREFIX), so every API process
 * counts against the same limits. Hand-written because the maintained Redis storages
 * (@nest-lab/throttler-storage-redis 1.2.0) declare peers up to Nest 11 only; it is one Lua
 * script on the ioredis client the app already has.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly redis: RedisClient) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    this.redis.assertReady(); // fails at once while Redis is away; the guard decides what that means
    const [hits, windowLeft, blocked, blockLeft] = (await this.redis.eval(
      HIT,
      2,
      `throttle:${key}`,
      `throttle:${key}:blocked`,
      ttl,
      limit,
      blockDuration,
    )) as [number, number, number, number];
    return {
      totalHits: hits,
      timeToExpire: seconds(windowLeft),
      isBlocked: blocked === 1,
      timeToBlockExpire: seconds(blockLeft),
    };
  }
}
