// The profile as the user filled it in (every field, and which of them are published). The IM
// layer keeps only the display name it sends with buddy requests; this is the rest, one record per
// local profile, beside the IM database.

import { createStore, get, set } from 'idb-keyval';
import { DEFAULT_PREFERENCES, PROFILE_FIELDS, type Preferences, type Profile, type ProfileField } from '../ui/messenger-port.js';

const KEY = 'profile';
const PREFERENCES_KEY = 'preferences';

export interface ProfileStore {
  load(): Promise<Profile | undefined>;
  save(profile: Profile): Promise<void>;
  loadPreferences(): Promise<Preferences>;
  savePreferences(preferences: Preferences): Promise<void>;
}

export function indexedDbProfileStore(profileName: string): ProfileStore {
  const store = createStore(`dima-app-${profileName}`, 'settings');
  return {
    load: async () => asProfile(await get(KEY, store)),
    save: (profile) => set(KEY, profile, store),
    loadPreferences: async () => asPreferences(await get(PREFERENCES_KEY, store)),
    savePreferences: (preferences) => set(PREFERENCES_KEY, preferences, store),
  };
}

/** Known boolean choices are taken, anything else falls back to the default. */
export function asPreferences(raw: unknown): Preferences {
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const pick = (key: keyof Preferences) => (typeof record[key] === 'boolean' ? (record[key] as boolean) : DEFAULT_PREFERENCES[key]);
  return { directLinks: pick('directLinks'), notificationSound: pick('notificationSound'), notificationsAsked: pick('notificationsAsked') };
}

/** Storage is an edge: a record that is not a profile reads as "no profile yet" (onboarding again). */
function asProfile(raw: unknown): Profile | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { fields, published } = raw as { fields?: unknown; published?: unknown };
  if (typeof fields !== 'object' || fields === null || !Array.isArray(published)) return undefined;
  const known = (f: unknown): f is ProfileField => PROFILE_FIELDS.includes(f as ProfileField);
  const clean: Partial<Record<ProfileField, string>> = {};
  for (const [field, value] of Object.entries(fields)) if (known(field) && typeof value === 'string') clean[field] = value;
  if (!clean.name) return undefined;
  return { fields: clean, published: published.filter(known) };
}
