import Bowser from 'bowser';
import { LRUCache } from 'lru-cache';

/**
 * What kind of device a user agent is, as bowser names platforms: `mobile`, `tablet`, `desktop`,
 * `tv` or `bot`; null when it cannot tell (`curl/8.5.0`, a server library's agent, an empty string).
 */
export type DeviceType = 'mobile' | 'tablet' | 'desktop' | 'tv' | 'bot';

const DEVICE_TYPES: ReadonlySet<string> = new Set<DeviceType>(['mobile', 'tablet', 'desktop', 'tv', 'bot']);

/** Longest user agent parsed; longer ones are not (real browsers' are ~100–300 characters). */
const MAX_USER_AGENT_LENGTH = 1_024;

/**
 * User agent → device type, with the answers of recent agents kept (a parse costs tens of µs; a
 * site's traffic comes from a few hundred distinct agents).
 */
export class DeviceTypeParser {
  private readonly cache: LRUCache<string, DeviceType | 'unknown'>;

  constructor(cacheSize = 2_000) {
    this.cache = new LRUCache({ max: Math.max(1, cacheSize) });
  }

  parse(userAgent: string): DeviceType | null {
    if (userAgent.length === 0 || userAgent.length > MAX_USER_AGENT_LENGTH) return null;
    let type = this.cache.get(userAgent);
    if (type === undefined) {
      const platform = Bowser.getParser(userAgent).getPlatformType(true);
      type = DEVICE_TYPES.has(platform) ? (platform as DeviceType) : 'unknown';
      this.cache.set(userAgent, type);
    }
    return type === 'unknown' ? null : type;
  }
}
