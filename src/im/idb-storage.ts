// The browser's ImStorage: the same RecordStorage over IndexedDB through idb-keyval. One database
// per local profile, so a URL parameter can select another identity for demos (docs/DESIGN.md).

import { clear, createStore, del, get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { RecordStorage, type ImStorage, type KeyValueBackend } from './storage.js';

class IndexedDbBackend implements KeyValueBackend {
  constructor(private readonly store: UseStore) {}

  get(key: string) {
    return get(key, this.store);
  }

  set(key: string, value: unknown) {
    return set(key, value, this.store);
  }

  delete(key: string) {
    return del(key, this.store);
  }

  valuesWithPrefix(prefix: string) {
    // String keys sort by code unit, so [prefix, prefix + U+FFFF] is exactly the keys under prefix.
    const range = IDBKeyRange.bound(prefix, prefix + '\uffff');
    return this.store('readonly', (store) => promisifyRequest(store.getAll(range)));
  }
}

export function indexedDbStorage(profileName = 'default'): ImStorage {
  return new RecordStorage(new IndexedDbBackend(createStore(`dima-im-${profileName}`, 'records')));
}

/** Empties a profile's IM database: only a restore from backup does this (src/app/backup). */
export function clearIndexedDbStorage(profileName = 'default'): Promise<void> {
  return clear(createStore(`dima-im-${profileName}`, 'records'));
}
