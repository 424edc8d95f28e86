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

/** `txs` transactions on a raw database, each putting what `fill(store, i)` puts, `inFlight` at a time (a
 * transaction is started before the previous ones complete, as a producer with requests in flight does). */
export async function raw(name, durability, txs, fill, inFlight = 1) {
  const db = await openRaw(name);
  const start = performance.now();
  const pending = [];
  for (let i = 0; i < txs; i++) {
    pending.push(new Promise((ok, no) => {
      const tx = db.transaction('s', 'readwrite', { durability });
      fill(tx.objectStore('s'), i);
      tx.commit(); // nothing more is coming: the fastest a transaction commits (franz does the same)
      tx.oncomplete = ok;
      tx.onabort = () => no(tx.error);
    }));
    if (pending.length >= inFlight) await pending.shift();
  }
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  db.close();
  indexedDB.deleteDatabase(name);
  return seconds;
}
