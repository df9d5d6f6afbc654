import { describe, expect, it } from 'vitest';
import { APP_CONFIG, configuredSeeds, validSeedUrl } from './config.js';

describe('seed URLs', () => {
  it('accepts ws and wss introducer URLs, normalised', () => {
    expect(validSeedUrl('ws://127.0.0.1:9000/bootstrap')).toBe('ws://127.0.0.1:9000/bootstrap');
    expect(validSeedUrl('wss://Seed.Example/bootstrap')).toBe('wss://seed.example/bootstrap');
  });

  it('refuses other schemes, credentials, fragments, junk and overlong URLs', () => {
    for (const bad of ['http://seed.example/bootstrap', 'javascript:alert(1)', 'ws://user:pw@seed.example/', 'ws://seed.example/#x', 'seed.example', '', 42, null]) {
      expect(validSeedUrl(bad), String(bad)).toBeNull();
    }
    const long = `wss://seed.example/${'a'.repeat(APP_CONFIG.maxSeedUrlChars)}`;
    expect(validSeedUrl(long)).toBeNull();
  });

  it('reads the meta list and every ?seed=, drops the invalid, merges duplicates, keeps at most maxConfiguredSeeds', () => {
    const meta = JSON.stringify(['wss://a.example/bootstrap', 'http://no.example/', 'wss://a.example/bootstrap']);
    const search = '?profile=x&seed=ws%3A%2F%2F10.0.0.2%3A9000%2Fbootstrap&seed=ftp://x';
    expect(configuredSeeds(meta, search)).toEqual(['wss://a.example/bootstrap', 'ws://10.0.0.2:9000/bootstrap']);
    expect(configuredSeeds('wss://b.example/bootstrap wss://c.example/bootstrap', '')).toEqual(['wss://b.example/bootstrap', 'wss://c.example/bootstrap']);
    const many = Array.from({ length: 30 }, (_, i) => `seed=wss://s${i}.example/`).join('&');
    expect(configuredSeeds(null, `?${many}`)).toHaveLength(APP_CONFIG.maxConfiguredSeeds);
  });
});
