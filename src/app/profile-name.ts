// Which local profile this tab is (`?profile=NAME`): its own identity, storage and tab lock.
// Default "default". No imports: main.ts reads it before any other chunk is loaded.

export function profileName(search: string): string {
  const raw = new URLSearchParams(search).get('profile') ?? '';
  const clean = raw.trim().replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40);
  return clean || 'default';
}

