// The pairing token's home: the extension origin's own IndexedDB, which no content script can open in any
// browser (a content script that opens IndexedDB gets the web page's databases). storage.local would not do:
// Firefox exposes it to content scripts and offers no setAccessLevel for it. Only the background and papertray's
// own pages run this module; the connection is kept open, and opened again after the browser stops the worker.
const DB_NAME = 'papertray';
const STORE = 'vault';
const TOKEN = 'token';

export function indexedDbVault(factory = globalThis.indexedDB) {
  let opening = null;

  function database() {
    opening ??= new Promise((resolve, reject) => {
      const request = factory.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        db.onclose = () => {
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
    }).catch((error) => {
      opening = null;
      throw error;
    });
    return opening;
  }

  async function run(mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('The token store refused the change.'));
    });
  }

  return {
    async read() {
      const token = await run('readonly', (store) => store.get(TOKEN));
      return typeof token === 'string' ? token : '';
    },
    save: (token) => run('readwrite', (store) => store.put(String(token), TOKEN)),
    clear: () => run('readwrite', (store) => store.delete(TOKEN)),
  };
}

export const VAULT = indexedDbVault();
