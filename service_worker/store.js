// giamsat device storage: the only IndexedDB code (docs/offline.md §3). Loaded by pages (<script>) and by the
// service worker (importScripts); both get one global, `self.giamsatStore`, with promise-based helpers.
//
// Stores (indexes in brackets):
//   queue     key seq (auto-increment = queue order)  {seq, officer_code, envelope, files: [sha256], queued_at,
//                                                      attempts, last_error, state: "queued"}
//                                                      [files, officer, declaration: [officer, payload.number]]
//   rejected  key id (command id)                     {id, officer_code, envelope, files, code, reason, answered_at}
//                                                                                              [files, officer]
//   files     key sha256                              {sha256, type, bytes: ArrayBuffer, size, created_at, uploaded}
//   nonces    key nonce                               {nonce, officer_code, expires_at}
//   replica   key dataset                             {dataset, cursor, items, fetched_at}
//   meta      key key                                 {key, value}: csrf_token, officer_code, clock_offset_ms, ...
//
// Files are ArrayBuffers in their own store, never Blobs (iOS fails to store them) and never inside a queue
// record (a long queue of big records stalls every read of the queue).
(function (scope) {
  "use strict";

  var NAME = "giamsat";
  var VERSION = 2;

  // The upgrade path. One step per version, each run once, in order, inside the versionchange transaction.
  //
  // Entries queued by an older version must stay readable by every newer one, without a migration step that
  // the old code did not know about: a new service worker waits while the queue is non-empty, but when the
  // officer closes every tab the browser activates a waiting worker on its own, and the new version then
  // opens a database still holding the old version's queue (and an old tab may still be writing to it). So a
  // step may add stores, indexes and optional fields; it never deletes or renames a store, and never changes
  // the shape of an existing record (readers treat a missing field as its default).
  function upgrade(db, oldVersion, tx) {
    if (oldVersion < 1) {
      var queue = db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
      queue.createIndex("files", "files", { multiEntry: true });
      var rejected = db.createObjectStore("rejected", { keyPath: "id" });
      rejected.createIndex("files", "files", { multiEntry: true });
      db.createObjectStore("files", { keyPath: "sha256" });
      db.createObjectStore("nonces", { keyPath: "nonce" });
      db.createObjectStore("replica", { keyPath: "dataset" });
      db.createObjectStore("meta", { keyPath: "key" });
    }
    if (oldVersion < 2) {
      // An officer's entries in queue order without reading the others' (a submit and a replay must cost the
      // same with 5,000 entries queued as with none): the index keeps equal keys in primary-key (seq) order.
      tx.objectStore("queue").createIndex("officer", "officer_code");
      tx.objectStore("rejected").createIndex("officer", "officer_code");
      // An officer's entries about one declaration (the gate page's queued passages, the sealing page's queued
      // seals): entries whose payload names no declaration are not in it.
      tx.objectStore("queue").createIndex("declaration", ["officer_code", "envelope.payload.number"]);
    }
    // if (oldVersion < 3) { ... }  — the next step goes here.
  }

  var opening = null;

  // A newer version (a tab or worker that updated first) may have moved the database past VERSION: open it at
  // its own version then. The upgrade rules above keep its records readable by this code.
  function open() {
    if (opening) return opening;
    var attempt = openAt(VERSION).catch(function (error) {
      if (error && error.name === "VersionError") return openAt(undefined);
      throw error;
    });
    opening = attempt.catch(function (error) {
      opening = null; // the next use tries again
      throw error;
    });
    return opening;
  }

  function openAt(version) {
    return new Promise(function (resolve, reject) {
      var request = version === undefined ? scope.indexedDB.open(NAME) : scope.indexedDB.open(NAME, version);
      request.onupgradeneeded = function (event) { upgrade(request.result, event.oldVersion, request.transaction); };
      request.onsuccess = function () {
        var db = request.result;
        // A newer version (another tab, or a new worker) wants to upgrade: let it, and reopen on next use.
        db.onversionchange = function () { db.close(); opening = null; };
        db.onclose = function () { opening = null; };
        resolve(db);
      };
      request.onerror = function () { reject(request.error); };
      // Another context holds an older version open and has not closed it yet: onsuccess follows once it does.
      request.onblocked = function () {};
    });
  }

  // How many records a store holds, read at whatever version the database is, without upgrading it: a new
  // worker still waiting asks this, and must not move the database to its own version under the old worker and
  // the open pages (their code would then fail to open it until they reload).
  function countWithoutUpgrade(name) {
    return new Promise(function (resolve, reject) {
      var creating = false;
      var request = scope.indexedDB.open(NAME);
      request.onupgradeneeded = function () {
        creating = true; // no database yet, so nothing queued; do not create an empty one at version 1
        request.transaction.abort();
      };
      request.onerror = function () {
        if (creating) resolve(0);
        else reject(request.error);
      };
      request.onsuccess = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(name)) {
          db.close();
          resolve(0);
          return;
        }
        var counting = db.transaction([name], "readonly").objectStore(name).count();
        counting.onsuccess = function () { db.close(); resolve(counting.result); };
        counting.onerror = function () { db.close(); reject(counting.error); };
      };
    });
  }

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Runs work(stores, tx) in one transaction; resolves with work's result once the transaction has committed,
  // so a caller never acts on a write that could still be rolled back.
  function transaction(names, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var stores = {};
        names.forEach(function (name) { stores[name] = tx.objectStore(name); });
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("transaction aborted")); };
        Promise.resolve(work(stores, tx)).then(function (value) { result = value; }, function (error) {
          try { tx.abort(); } catch (ignored) { /* already finished */ }
          reject(error);
        });
      });
    });
  }

  // Inside a transaction, a request's promise resolves in a microtask, which keeps the transaction alive.
  function get(name, key) {
    return transaction([name], "readonly", function (s) { return promised(s[name].get(key)); });
  }
  function put(name, value) {
    return transaction([name], "readwrite", function (s) { return promised(s[name].put(value)); });
  }
  function remove(name, key) {
    return transaction([name], "readwrite", function (s) { return promised(s[name].delete(key)); });
  }
  function all(name) {
    return transaction([name], "readonly", function (s) { return promised(s[name].getAll()); });
  }
  function count(name) {
    return transaction([name], "readonly", function (s) { return promised(s[name].count()); });
  }

  function getMeta(key) {
    return get("meta", key).then(function (row) { return row ? row.value : undefined; });
  }
  function setMeta(key, value) {
    return put("meta", { key: key, value: value });
  }
  function setMetas(values) {
    return transaction(["meta"], "readwrite", function (s) {
      return Promise.all(Object.keys(values).map(function (key) { return promised(s.meta.put({ key: key, value: values[key] })); }));
    });
  }

  // --- the queue ---------------------------------------------------------------------------------------------

  // Adds an entry at the end of the queue; resolves with its seq. The entry is written in full before the
  // promise resolves: "queue first, then send".
  function addToQueue(entry) {
    return transaction(["queue"], "readwrite", function (s) { return promised(s.queue.add(entry)); });
  }

  // Every queued entry, in queue order (getAll on the auto-increment key returns them sorted by seq).
  function queueEntries() {
    return all("queue");
  }

  // The first `limit` entries of one officer, in queue order: an index read, whatever else is queued.
  function queueHead(officerCode, limit) {
    return transaction(["queue"], "readonly", function (s) {
      return promised(s.queue.index("officer").getAll(IDBKeyRange.only(officerCode), limit));
    });
  }

  // The first `limit` of one officer's entries that `wanted(entry)` accepts, in queue order, read with a cursor
  // on the officer index that stops there; `more` tells whether the officer has entries after the last read.
  function queueFirstWhere(officerCode, wanted, limit) {
    return transaction(["queue"], "readonly", function (s) {
      return new Promise(function (resolve, reject) {
        var found = [];
        var request = s.queue.index("officer").openCursor(IDBKeyRange.only(officerCode));
        request.onerror = function () { reject(request.error); };
        request.onsuccess = function () {
          var cursor = request.result;
          if (!cursor) return resolve({ entries: found, more: false });
          if (found.length === limit) return resolve({ entries: found, more: true });
          if (wanted(cursor.value)) found.push(cursor.value);
          cursor.continue();
        };
      });
    });
  }

  // One officer's entries about one declaration (payload.number), in queue order.
  function queuedFor(officerCode, number) {
    return transaction(["queue"], "readonly", function (s) {
      return promised(s.queue.index("declaration").getAll(IDBKeyRange.only([officerCode, number])));
    });
  }

  // How many entries wait (of one officer, when given), and how many of the officer's were refused: counted
  // on the indexes, without reading an entry.
  function counts(officerCode) {
    return transaction(["queue", "rejected"], "readonly", function (s) {
      var key = officerCode ? IDBKeyRange.only(officerCode) : undefined;
      return Promise.all([
        promised(s.queue.count()),
        officerCode ? promised(s.queue.index("officer").count(key)) : promised(s.queue.count()),
        officerCode ? promised(s.rejected.index("officer").count(key)) : promised(s.rejected.count()),
      ]).then(function (values) { return { queued: values[0], mine: values[1], rejected: values[2] }; });
    });
  }

  // Replace fields of queued entries (attempts, last_error, envelope.offline), one transaction. An entry that
  // left the queue meanwhile (answered in another context) stays gone.
  function updateQueued(seqs, change) {
    return transaction(["queue"], "readwrite", function (s) {
      return Promise.all(seqs.map(function (seq) {
        return promised(s.queue.get(seq)).then(function (entry) {
          if (!entry) return null;
          change(entry);
          return promised(s.queue.put(entry));
        });
      }));
    });
  }

  // Files no queued and no rejected entry refers to any more, among `shas`, are deleted.
  function dropUnreferencedFiles(s, shas) {
    return Promise.all((shas || []).map(function (sha) {
      return Promise.all([promised(s.queue.index("files").count(sha)), promised(s.rejected.index("files").count(sha))])
        .then(function (counts) { return counts[0] + counts[1] === 0 ? promised(s.files.delete(sha)) : null; });
    }));
  }

  // An answered entry leaves the queue, in one transaction with what follows from the answer, so a crash can
  // neither lose it nor leave it both queued and rejected:
  // - `rejected` given: the entry moves to the rejected store (its files stay until it is dismissed);
  // - otherwise (applied / duplicate): it is deleted, with the files nothing else refers to.
  function finishIn(s, seq, rejected) {
    return promised(s.queue.get(seq)).then(function (entry) {
      if (!entry) return null;
      return promised(s.queue.delete(seq)).then(function () {
        if (rejected) return promised(s.rejected.put(rejected));
        return dropUnreferencedFiles(s, entry.files);
      }).then(function () { return entry; });
    });
  }

  function finishEntry(seq, rejected) {
    return transaction(["queue", "rejected", "files"], "readwrite", function (s) { return finishIn(s, seq, rejected); });
  }

  // The answers of a whole batch, [{seq, rejected}], in one transaction: a transaction per entry cost more than
  // the server's work for the batch (bench/sync.py). In order, so the file reference counts stay right.
  function finishEntries(items) {
    return transaction(["queue", "rejected", "files"], "readwrite", function (s) {
      return items.reduce(function (previous, item) {
        return previous.then(function () { return finishIn(s, item.seq, item.rejected); });
      }, Promise.resolve());
    });
  }

  // The officer has seen a rejection: forget it, with its files nothing else refers to. (Requests of one
  // transaction run in order, so the reference counts are taken after the delete.)
  function dismissRejected(id) {
    return transaction(["queue", "rejected", "files"], "readwrite", function (s) {
      return promised(s.rejected.get(id)).then(function (entry) {
        if (!entry) return null;
        return promised(s.rejected.delete(id))
          .then(function () { return dropUnreferencedFiles(s, entry.files); })
          .then(function () { return entry; });
      });
    });
  }

  // --- files ---------------------------------------------------------------------------------------------------

  function putFile(record) {
    return put("files", record);
  }
  function getFile(sha256) {
    return get("files", sha256);
  }
  function markUploaded(sha256) {
    return transaction(["files"], "readwrite", function (s) {
      return promised(s.files.get(sha256)).then(function (file) {
        if (!file || file.uploaded) return null;
        file.uploaded = true;
        return promised(s.files.put(file));
      });
    });
  }

  scope.giamsatStore = {
    NAME: NAME,
    VERSION: VERSION,
    open: open,
    get: get,
    put: put,
    remove: remove,
    all: all,
    count: count,
    countWithoutUpgrade: countWithoutUpgrade,
    getMeta: getMeta,
    setMeta: setMeta,
    setMetas: setMetas,
    addToQueue: addToQueue,
    queueEntries: queueEntries,
    queueHead: queueHead,
    queuedFor: queuedFor,
    queueFirstWhere: queueFirstWhere,
    counts: counts,
    updateQueued: updateQueued,
    finishEntry: finishEntry,
    finishEntries: finishEntries,
    dismissRejected: dismissRejected,
    putFile: putFile,
    getFile: getFile,
    markUploaded: markUploaded,
  };
})(self);
