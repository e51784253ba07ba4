// The inspector's outbox in IndexedDB. Every scan goes through it, online or not: a scan is
// stored first, then sent in a batch whose Idempotency-Key and body are fixed and stored before
// the first attempt, so a retry after a lost response can never store a scan twice. Hand-off
// scans (custody ship/receive) travel the same way to their own endpoint, and photos taken
// offline wait here too, each with its key fixed when it was taken, as do scratched-carton
// records (刮码: form fields and photo Blobs) with the key of the form that was filled in.

import { uid } from "./core.js";

const DB_NAME = "channelguard";
const DB_VERSION = 3;
export const MAX_BATCH = 500;

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = (ev) => {
        const db = req.result;
        if (ev.oldVersion < 1) {
          // scans: {id, localId, scan, endpoint, batchKey ("" until batched: IndexedDB cannot
          // index null), createdAt}
          const scans = db.createObjectStore("scans", { keyPath: "id", autoIncrement: true });
          scans.createIndex("batchKey", "batchKey");
          // batches: {key, endpoint, scanIds, localIds, body, createdAt, attempts, dead, error}
          db.createObjectStore("batches", { keyPath: "key" });
        }
        // photos: {key (the Idempotency-Key), localId, blob, name, fields, createdAt, attempts, dead, error}
        if (ev.oldVersion < 2) db.createObjectStore("photos", { keyPath: "key" });
        // scratched: {key (the Idempotency-Key), localId, fields, photos: [{blob, name}], summary,
        // createdAt, attempts, dead, error}
        if (ev.oldVersion < 3) db.createObjectStore("scratched", { keyPath: "key" });
      };
      req.onsuccess = () => {
        // A newer page (another tab, a new release) is upgrading the database: let it.
        req.result.onversionchange = () => req.result.close();
        resolve(req.result);
      };
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

/** Run `fn(stores)` in one transaction; resolves with fn's result once it commits. */
async function tx(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(["scans", "batches", "photos", "scratched"], mode);
    let result;
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
    const stores = { scans: t.objectStore("scans"), batches: t.objectStore("batches"), photos: t.objectStore("photos"), scratched: t.objectStore("scratched") };
    Promise.resolve(fn(stores)).then(
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


// The API path of each kind of queued item and the name of its list in the request body.
export const ENDPOINTS = {
  scans: { path: "/api/v1/scans", list: "scans" },
  "custody/ship": { path: "/api/v1/custody/ship", list: "items" },
  "custody/receive": { path: "/api/v1/custody/receive", list: "items" },
};

/** Store one scan (the API item) for sending to `endpoint`; returns its local id. */
export async function enqueue(scan, endpoint = "scans") {
  const localId = uid();
  await tx("readwrite", ({ scans }) =>
    req2p(scans.add({ localId, scan, endpoint, batchKey: "", createdAt: new Date().toISOString() })),
  );
  return localId;
}

/** Keep a photo (a Blob) and its form fields until it can be sent; returns its local id. */
export async function enqueuePhoto(blob, name, fields) {
  const localId = uid();
  const item = { key: uid(), localId, blob, name, fields, createdAt: new Date().toISOString(), attempts: 0, dead: false, error: null };
  await tx("readwrite", ({ photos }) => req2p(photos.add(item)));
  return localId;
}

/** Scans not yet acknowledged by the server, and batches the server refused for good. */
export async function counts() {
  return tx("readonly", async ({ scans, batches, photos }) => {
    const all = await req2p(batches.getAll());
    const pics = await req2p(photos.getAll());
    const dead = all.filter((b) => b.dead).reduce((n, b) => n + b.scanIds.length, 0) + pics.filter((p) => p.dead).length;
    const waiting = (await req2p(scans.count())) + pics.length - dead;
    return { waiting, dead, photos: pics.filter((p) => !p.dead).length };
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
    const unbatched = await req2p(scans.index("batchKey").getAll(IDBKeyRange.only("")));
    if (!unbatched.length) return null;
    // One endpoint per batch: the oldest waiting scan's.
    const endpoint = unbatched[0].endpoint || "scans";
    const free = unbatched.filter((s) => (s.endpoint || "scans") === endpoint).slice(0, MAX_BATCH);
    const key = uid();
    for (const s of free) await req2p(scans.put({ ...s, batchKey: key }));
    const batch = {
      key,
      endpoint,
      scanIds: free.map((s) => s.id),
      localIds: free.map((s) => s.localId),
      body: JSON.stringify({ [ENDPOINTS[endpoint].list]: free.map((s) => s.scan) }),
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
      const response = await send(batch.key, batch.body, ENDPOINTS[batch.endpoint || "scans"].path);
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

/**
 * Send every waiting photo with `send(item)` (same contract as `flush`'s send);
 * `onResults(localId, results)` gets each one the server acknowledged.
 */
export async function flushPhotos(send, onResults) {
  const waiting = (await tx("readonly", ({ photos }) => req2p(photos.getAll()))).filter((p) => !p.dead);
  waiting.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  for (const item of waiting) {
    item.attempts += 1;
    try {
      const response = await send(item);
      await tx("readwrite", ({ photos }) => req2p(photos.delete(item.key)));
      onResults(item.localId, response.results || []);
    } catch (err) {
      if (err && err.retry === false) {
        item.dead = true;
        item.error = String(err.message || err);
        await tx("readwrite", ({ photos }) => req2p(photos.put(item)));
        onResults(item.localId, [{ error: item.error, dead: true }]);
        continue;
      }
      await tx("readwrite", ({ photos }) => req2p(photos.put(item)));
      return { done: false, error: err };
    }
  }
  return { done: true };
}

/**
 * Keep a scratched-carton record until it can be sent. `key` is the Idempotency-Key the form
 * already used (a first attempt may have reached the server), `photos` are [{blob, name}].
 */
export async function enqueueScratched({ key, fields, photos, summary }) {
  const localId = uid();
  const item = { key, localId, fields, photos, summary, createdAt: new Date().toISOString(), attempts: 0, dead: false, error: null };
  await tx("readwrite", ({ scratched }) => req2p(scratched.put(item)));
  return localId;
}

/** Scratched-carton records on this phone not yet acknowledged, oldest first. */
export async function scratchedWaiting() {
  const all = await tx("readonly", ({ scratched }) => req2p(scratched.getAll()));
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Forget a record the server refused for good (the inspector dismissed it). */
export async function dropScratched(key) {
  await tx("readwrite", ({ scratched }) => req2p(scratched.delete(key)));
}

/**
 * Send every waiting scratched-carton record with `send(item)` (same contract as `flush`'s
 * send); `onSent(item, record)` gets each one the server acknowledged. Each is deleted only after
 * the server's answer, and a retry carries the same key, so the server stores it once.
 */
export async function flushScratched(send, onSent) {
  for (const item of (await scratchedWaiting()).filter((x) => !x.dead)) {
    item.attempts += 1;
    try {
      const record = await send(item);
      await dropScratched(item.key);
      onSent(item, record);
    } catch (err) {
      if (err && err.retry === false) {
        item.dead = true;
        item.error = String(err.message || err);
        await tx("readwrite", ({ scratched }) => req2p(scratched.put(item)));
        continue;
      }
      await tx("readwrite", ({ scratched }) => req2p(scratched.put(item)));
      return { done: false, error: err };
    }
  }
  return { done: true };
}
