// The inspector's outbox in IndexedDB. Every scan goes through it, online or not: a scan is
// stored first, then sent in a batch whose Idempotency-Key and body are fixed and stored before
// the first attempt, so a retry after a lost response can never store a scan twice. Hand-off
// scans (custody ship/receive) travel the same way to their own endpoint, and photos taken
// offline wait here too, each with its key fixed when it was taken, as do scratched-carton
// records (刮码: form fields and photo Blobs) with the key of the form that was filled in.
//
// A phone may be shared: every item records who queued it (`owner`, the username), and only
// that user's items are ever listed as theirs or sent, with their own token. Another user's
// items wait on the phone until their owner signs in again (`heldForOthers` names them).

import { uid } from "./ids.js";

const DB_NAME = "channelguard";
const DB_VERSION = 4;
export const MAX_BATCH = 500;
const ME_KEY = "cg.me";

let dbPromise = null;
// Whose items this page lists and sends; null until the page knows who is signed in.
let owner = null;

/** The signed-in user (username) whose items this page queues, lists and sends. */
export function setOwner(username) {
  owner = username || null;
}

const mine = (x) => owner !== null && x.owner === owner;

/** Items queued before owners were recorded: the user this phone last knew queued them. */
function lastKnownUser() {
  try {
    const me = JSON.parse(localStorage.getItem(ME_KEY) || "null");
    return me && typeof me.username === "string" ? me.username : "";
  } catch {
    return "";
  }
}

function stampOwners(store, who) {
  store.openCursor().onsuccess = (ev) => {
    const cursor = ev.target.result;
    if (!cursor) return;
    if (cursor.value.owner === undefined) cursor.update({ ...cursor.value, owner: who });
    cursor.continue();
  };
}

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
        // Every item and batch gets its `owner` ("" when nobody is known: kept, never sent).
        if (ev.oldVersion >= 1 && ev.oldVersion < 4) {
          const who = lastKnownUser();
          for (const name of ["scans", "batches", "photos", "scratched"]) stampOwners(req.transaction.objectStore(name), who);
        }
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
  const who = requireOwner();
  await tx("readwrite", ({ scans }) =>
    req2p(scans.add({ localId, scan, endpoint, owner: who, batchKey: "", createdAt: new Date().toISOString() })),
  );
  return localId;
}

function requireOwner() {
  if (owner === null) throw new Error("nobody is signed in: nothing can be queued");
  return owner;
}

/** Keep a photo (a Blob) and its form fields until it can be sent; returns its local id. */
export async function enqueuePhoto(blob, name, fields) {
  const localId = uid();
  const item = { key: uid(), localId, blob, name, fields, owner: requireOwner(), createdAt: new Date().toISOString(), attempts: 0, dead: false, error: null };
  await tx("readwrite", ({ photos }) => req2p(photos.add(item)));
  return localId;
}

/** This user's scans not yet acknowledged by the server, and batches refused for good. */
export async function counts() {
  return tx("readonly", async ({ scans, batches, photos }) => {
    const all = (await req2p(batches.getAll())).filter(mine);
    const pics = (await req2p(photos.getAll())).filter(mine);
    const dead = all.filter((b) => b.dead).reduce((n, b) => n + b.scanIds.length, 0) + pics.filter((p) => p.dead).length;
    const waiting = (await req2p(scans.getAll())).filter(mine).length + pics.length - dead;
    return { waiting, dead, photos: pics.filter((p) => !p.dead).length };
  });
}

/** Everything of `who` still waiting to be sent (scans, photos, scratched cartons): what
 * signing out would leave behind. Refused items are not counted: they will never be sent. */
export async function pendingFor(who) {
  if (!who) return 0;
  return tx("readonly", async ({ scans, batches, photos, scratched }) => {
    const ofWho = (x) => x.owner === who;
    const deadScans = (await req2p(batches.getAll())).filter((b) => ofWho(b) && b.dead).reduce((n, b) => n + b.scanIds.length, 0);
    const waitingScans = (await req2p(scans.getAll())).filter(ofWho).length - deadScans;
    const pics = (await req2p(photos.getAll())).filter((p) => ofWho(p) && !p.dead).length;
    const records = (await req2p(scratched.getAll())).filter((r) => ofWho(r) && !r.dead).length;
    return waitingScans + pics + records;
  });
}

/** Items other users left on this phone, by owner: [{owner, n}], kept until they sign in. */
export async function heldForOthers() {
  return tx("readonly", async ({ scans, photos, scratched }) => {
    const by = new Map();
    for (const store of [scans, photos, scratched]) {
      for (const x of await req2p(store.getAll())) {
        if (mine(x) || x.dead) continue;
        by.set(x.owner, (by.get(x.owner) || 0) + 1);
      }
    }
    return [...by].map(([who, n]) => ({ owner: who, n })).sort((a, b) => a.owner.localeCompare(b.owner));
  });
}

/** Local ids of this user's scans still waiting, so the page can mark them after a reload. */
export async function waitingScans() {
  return (await tx("readonly", ({ scans }) => req2p(scans.getAll()))).filter(mine);
}

/** The batch to send next: an unfinished one first (same key, same body), else a new one. */
async function nextBatch() {
  return tx("readwrite", async ({ scans, batches }) => {
    // Only the signed-in user's: another user's scans are never sent with this token.
    const existing = (await req2p(batches.getAll())).filter((b) => !b.dead && mine(b));
    if (existing.length) {
      existing.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      return existing[0];
    }
    const unbatched = (await req2p(scans.index("batchKey").getAll(IDBKeyRange.only("")))).filter(mine);
    if (!unbatched.length) return null;
    // One endpoint per batch: the oldest waiting scan's.
    const endpoint = unbatched[0].endpoint || "scans";
    const free = unbatched.filter((s) => (s.endpoint || "scans") === endpoint).slice(0, MAX_BATCH);
    const key = uid();
    for (const s of free) await req2p(scans.put({ ...s, batchKey: key }));
    const batch = {
      key,
      endpoint,
      owner,
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
  const waiting = (await tx("readonly", ({ photos }) => req2p(photos.getAll()))).filter((p) => !p.dead && mine(p));
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
  const item = { key, localId, fields, photos, summary, owner: requireOwner(), createdAt: new Date().toISOString(), attempts: 0, dead: false, error: null };
  await tx("readwrite", ({ scratched }) => req2p(scratched.put(item)));
  return localId;
}

/** This user's scratched-carton records on this phone not yet acknowledged, oldest first. */
export async function scratchedWaiting() {
  const all = (await tx("readonly", ({ scratched }) => req2p(scratched.getAll()))).filter(mine);
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
