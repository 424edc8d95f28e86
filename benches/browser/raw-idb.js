// The platform's limit for the browser benchmarks: raw IndexedDB transactions, with no franz in between.

function openRaw(name) {
  return new Promise((ok, no) => {
    indexedDB.deleteDatabase(name);
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => r.result.createObjectStore('s');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
}

/** `txs` transactions on a raw database, each putting what `fill(store, i)` puts. */
export async function raw(name, durability, txs, fill) {
  const db = await openRaw(name);
  const start = performance.now();
  for (let i = 0; i < txs; i++) {
    await new Promise((ok, no) => {
      const tx = db.transaction('s', 'readwrite', { durability });
      fill(tx.objectStore('s'), i);
      tx.oncomplete = ok;
      tx.onabort = () => no(tx.error);
    });
  }
  const seconds = (performance.now() - start) / 1000;
  db.close();
  indexedDB.deleteDatabase(name);
  return seconds;
}
