// The inspector's outbox in IndexedDB. Every scan goes through it, online or not: a scan is
// stored first, then sent in a batch whose Idempotency-Key and body are fixed and stored before
// the first attempt, so a retry after a lost response can never store a scan twice.

import { uid } from "./core.js";

const DB_NAME = "channelguard";
const DB_VERSION = 1;
export const MAX_BATCH = 500;

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        // scans: {id, localId, scan, batchKey ("" until batched: IndexedDB cannot index null), createdAt}
        const scans = db.createObjectStore("scans", { keyPath: "id", autoIncrement: true });
        scans.createIndex("batchKey", "batchKey");
        // batches: {key, scanIds, localIds, body, createdAt, attempts, dead, error}
        db.createObjectStore("batches", { keyPath: "key" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

/** Run `fn(stores)` in one transaction; resolves with fn's result once it commits. */
async function tx(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(["scans", "batches"], mode);
    let result;
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
    Promise.resolve(fn({ scans: t.objectStore("scans"), batches: t.objectStore("batches") })).then(
      (r) => {
        result = r;
      },
      (err) => {
        t.abort();
        reject(err);
      },
    );
  });
}

const req2p = (req) =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });


/** Store one scan (the API item) for sending; returns its local id. */
export async function enqueue(scan) {
  const localId = uid();
  await tx("readwrite", ({ scans }) =>
    req2p(scans.add({ localId, scan, batchKey: "", createdAt: new Date().toISOString() })),
  );
  return localId;
}

/** Scans not yet acknowledged by the server, and batches the server refused for good. */
export async function counts() {
  return tx("readonly", async ({ scans, batches }) => {
    const all = await req2p(batches.getAll());
    const dead = all.filter((b) => b.dead).reduce((n, b) => n + b.scanIds.length, 0);
    const waiting = (await req2p(scans.count())) - dead;
    return { waiting, dead };
  });
}

/** Local ids of the scans still waiting, so the page can mark them after a reload. */
export async function waitingScans() {
  return tx("readonly", ({ scans }) => req2p(scans.getAll()));
}

/** The batch to send next: an unfinished one first (same key, same body), else a new one. */
async function nextBatch() {
  return tx("readwrite", async ({ scans, batches }) => {
    const existing = (await req2p(batches.getAll())).filter((b) => !b.dead);
    if (existing.length) {
      existing.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      return existing[0];
    }
    const free = (await req2p(scans.index("batchKey").getAll(IDBKeyRange.only("")))).slice(0, MAX_BATCH);
    if (!free.length) return null;
    const key = uid();
    for (const s of free) await req2p(scans.put({ ...s, batchKey: key }));
    const batch = {
      key,
      scanIds: free.map((s) => s.id),
      localIds: free.map((s) => s.localId),
      body: JSON.stringify({ scans: free.map((s) => s.scan) }),
      createdAt: new Date().toISOString(),
      attempts: 0,
      dead: false,
      error: null,
    };
    await req2p(batches.add(batch));
    return batch;
  });
}

async function finish(batch) {
  await tx("readwrite", async ({ scans, batches }) => {
    for (const id of batch.scanIds) await req2p(scans.delete(id));
    await req2p(batches.delete(batch.key));
  });
}

async function update(batch) {
  await tx("readwrite", ({ batches }) => req2p(batches.put(batch)));
}

/**
 * Send every waiting batch with `send(key, body)`, which resolves to the API response or throws
 * {retry: true} (network down, server busy) or {retry: false} (refused for good).
 * `onResults(localIds, results)` gets each acknowledged batch. Returns when the outbox is empty
 * or a batch must wait for a retry.
 */
export async function flush(send, onResults) {
  for (;;) {
    const batch = await nextBatch();
    if (!batch) return { done: true };
    batch.attempts += 1;
    await update(batch);
    try {
      const response = await send(batch.key, batch.body);
      await finish(batch);
      onResults(batch.localIds, response.results || []);
    } catch (err) {
      if (err && err.retry === false) {
        batch.dead = true;
        batch.error = String(err.message || err);
        await update(batch);
        onResults(batch.localIds, batch.localIds.map(() => ({ error: batch.error, dead: true })));
        continue;
      }
      return { done: false, error: err };
    }
  }
}
