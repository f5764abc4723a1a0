"""JavaScript that reads the pairing token straight from the extension's vault (its origin's IndexedDB, see
extension/lib/vault.js), for tests running in one of the extension's own contexts. It never creates the
database: a vault that does not exist yet reads as null."""

from __future__ import annotations

VAULT_TOKEN = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open('papertray');
  request.onupgradeneeded = () => request.transaction.abort();
  request.onerror = () => resolve(null);
  request.onsuccess = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains('vault')) { db.close(); resolve(null); return; }
    const read = db.transaction('vault').objectStore('vault').get('token');
    read.onsuccess = () => { db.close(); resolve(read.result ?? null); };
    read.onerror = () => { db.close(); reject(read.error); };
  };
})"""
