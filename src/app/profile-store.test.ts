import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES } from '../ui/messenger-port.js';
import { asPreferences } from './profile-store.js';

describe('stored preferences', () => {
  it('take known booleans and fall back to the defaults for anything else', () => {
    expect(asPreferences(undefined)).toEqual(DEFAULT_PREFERENCES);
    expect(asPreferences({ directLinks: false, notificationSound: 'yes', extra: 1 })).toEqual({ ...DEFAULT_PREFERENCES, directLinks: false });
    expect(asPreferences({ directLinks: true, notificationSound: true, notificationsAsked: true })).toEqual({ directLinks: true, notificationSound: true, notificationsAsked: true });
  });

  it('default to direct links on, sound off, not asked yet', () => {
    expect(DEFAULT_PREFERENCES).toEqual({ directLinks: true, notificationSound: false, notificationsAsked: false });
  });
});
