// The messenger's buddy search over the SCAN directory (src/scan). One adapter for every node that
// runs both (browser session, headless peer): a hit's signed record becomes a DirectoryEntry.

import type { ScanDirectory } from '../scan/directory.js';
import type { BuddySearch } from './messenger.js';

export function scanBuddySearch(directory: Pick<ScanDirectory, 'search'>): BuddySearch {
  return async (query) => {
    const { hits } = await directory.search(query);
    return hits.map((hit) => ({ uid: hit.uid, name: hit.record.fields.name ?? '', publicKey: hit.record.publicKey }));
  };
}
