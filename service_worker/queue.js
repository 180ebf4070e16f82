// giamsat device queue: put a command in the queue, and replay the queue to the server (docs/offline.md §2).
// Runs in pages and in the service worker (after store.js), as one global `self.giamsatQueue`.
//
// The rules, as workbox's background sync keeps them: queue first, then send; replay in order; stop at the
// first failure that is not the server's answer (no network, timeout, 5xx, 401, 403) and keep the order; an
// entry leaves the queue only with the server's answer; never drop an entry silently (a refusal moves it to the
// "rejected" store with the server's reason, where the officer sees it). One replay at a time per device: the
// Web Lock "giamsat-sync" is shared by every tab and the worker.
//
// Nothing here reads or writes the whole queue: counts come from the store's indexes, a replay reads the next
// batch of the officer's entries, and a failed replay touches only the entries it tried (so a submit costs the
// same with 5,000 entries queued as with none; bench/sync.py measures it).
(function (scope) {
  "use strict";

  var LOCK = "giamsat-sync";
  var CHANNEL = "giamsat-sync";
  var BATCH_SIZE = 100; // consecutive entries without files sent in one POST
  var TIMEOUT_MS = 20000;
  var CSRF_COOKIE = "gs_csrf"; // backend/app.py CSRF_COOKIE
  var store = scope.giamsatStore;

  var channel = null;
  // {kind: "progress", done, total} | {kind: "outcome", id, status, reason} | {kind: "idle", queued, rejected}
  // | {kind: "queued", id} | {kind: "stopped", error, retryAfter, at} (`at` tells one stop from another). Every other context on the origin hears it (a BroadcastChannel never hears itself).
  function broadcast(message) {
    try {
      channel = channel || new BroadcastChannel(CHANNEL);
      channel.postMessage(message);
    } catch (error) { /* no BroadcastChannel (old Safari): pages poll the store on their own events */ }
  }

  // Counts for badges and for the update gate: `queued` is the whole device queue (any officer), `mine` and
  // `rejected` are the given officer's.
  function counts(officerCode) {
    return store.counts(officerCode);
  }

  async function announceIdle() {
    var officer = await store.getMeta("officer_code");
    var c = await counts(officer);
    broadcast({ kind: "idle", queued: c.queued, rejected: c.rejected });
    return c;
  }

  // Queue first, then send: resolves with the entry's seq once it is stored for good.
  // The device's clock offset last measured goes with the envelope (not signed, like `offline`): the server
  // keeps the device's time and its estimate of the real one (docs/offline.md §4c).
  async function enqueue(envelope, officerCode, fileIds) {
    if (typeof envelope.clock_offset_ms !== "number") {
      var offset = await store.getMeta("clock_offset_ms");
      if (typeof offset === "number" && isFinite(offset)) envelope.clock_offset_ms = Math.round(offset);
    }
    var seq = await store.addToQueue({
      officer_code: officerCode,
      envelope: envelope,
      files: (fileIds || []).slice(),
      queued_at: new Date().toISOString(),
      attempts: 0,
      last_error: null,
      state: "queued",
    });
    seqOf[envelope.id] = seq;
    broadcast({ kind: "queued", id: envelope.id });
    return seq;
  }
  var seqOf = {}; // command id -> seq, for the entries this context queued

  // What became of an entry: still queued, refused (with the server's reason), or else applied. Read from the
  // store (the truth; broadcasts only say when to look), by its key: no queue scan.
  async function fate(seq, id) {
    seq = seq || seqOf[id];
    var queued = seq ? Boolean(await store.get("queue", seq))
      : (await store.queueEntries()).some(function (entry) { return entry.envelope.id === id; }); // not queued here
    if (queued) return { status: "queued" };
    var rejected = await store.get("rejected", id);
    return rejected ? { status: "rejected", reason: rejected.reason, code: rejected.code } : { status: "applied" };
  }

  // --- talking to the server ---------------------------------------------------------------------------------

  // A failure that stops the replay (the entry stays first in the queue). `retryAfter`: the seconds the server
  // asked the device to wait (a 429 or 503 with Retry-After), else null.
  function Stop(code, retryAfter) {
    this.code = code;
    this.retryAfter = retryAfter || null;
  }

  function retryAfter(answer) {
    var seconds = answer.retryAfter ? parseInt(answer.retryAfter, 10) : NaN;
    return isNaN(seconds) || seconds < 0 ? null : Math.min(seconds, 3600);
  }

  async function request(method, url, options) {
    options = options || {};
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, options.timeoutMs || TIMEOUT_MS);
    var headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    var sentAt = Date.now();
    try {
      var response = await scope.fetch(url, {
        method: method,
        credentials: "same-origin",
        cache: "no-store",
        headers: headers,
        body: options.body,
        signal: controller.signal,
      });
      var body = null;
      try { body = await response.json(); } catch (notJson) { body = null; }
      return {
        status: response.status, body: body, date: response.headers.get("Date"), retryAfter: response.headers.get("Retry-After"),
        sentAt: sentAt, answeredAt: Date.now(),
      };
    } catch (error) {
      throw new Stop(controller.signal.aborted ? "timeout" : "network");
    } finally {
      clearTimeout(timer);
    }
  }

  // The answers that mean "not now" rather than "no": the entry waits and keeps its place.
  function isTransient(status) {
    return status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;
  }

  // The device clock against the server's: the middle of the round trip is when the server read its clock.
  // A Date header has whole seconds, so it is taken as the middle of its second.
  function clockOffset(answer, serverTime) {
    var server = serverTime ? Date.parse(serverTime) : (answer.date ? Date.parse(answer.date) + 500 : NaN);
    if (isNaN(server)) return null;
    return Math.round(server - (answer.sentAt + answer.answeredAt) / 2);
  }

  // Who the session belongs to, from the server (the officer code in the meta store may be stale: another
  // officer may have signed in since the last page load), and the clock offset.
  async function whoAmI(state, timeoutMs) {
    // {server_time, officer_code, contingency, queue_warn_days}
    var answer = await request("GET", "/api/v1/sync/status", { timeoutMs: timeoutMs });
    if (answer.status !== 200 || !answer.body || !answer.body.officer_code) {
      throw new Stop(answer.status === 200 ? "bad_answer" : "http_" + answer.status, retryAfter(answer));
    }
    state.offset = clockOffset(answer, answer.body.server_time);
    state.status = { contingency: answer.body.contingency || null, queue_warn_days: answer.body.queue_warn_days };
    return answer.body.officer_code;
  }

  // Upload the entry's files the server does not have yet. Resolves with null, or with a refusal {code, reason}
  // that means this entry can never go (the server will not take its photo).
  async function uploadFiles(entry, csrf, timeoutMs) {
    for (var i = 0; i < entry.files.length; i++) {
      var sha = entry.files[i];
      var file = await store.getFile(sha);
      if (!file) return { code: "file_missing", reason: "" };
      if (file.uploaded) continue;
      var answer = await request("PUT", "/api/v1/files/" + encodeURIComponent(sha), {
        headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrf },
        body: file.bytes,
        timeoutMs: timeoutMs,
      });
      if (answer.status === 200 || answer.status === 201) {
        await store.markUploaded(sha);
      } else if (isTransient(answer.status)) {
        throw new Stop("http_" + answer.status, retryAfter(answer));
      } else {
        return refusal(answer);
      }
    }
    return null;
  }

  function refusal(answer) {
    var body = answer.body || {};
    return { code: body.error || "http_" + answer.status, reason: body.message || "" };
  }

  // The next entries to send together: the first entry alone when a batch holding it was refused as a whole;
  // else the run of consecutive entries up to one that must go alone. Entries with photos join the batch: their
  // files are uploaded first (sendGroup), so no command reaches the server before its photos.
  function nextGroup(pending, alone, batchSize) {
    var first = pending[0];
    if (alone[first.seq]) return [first];
    var group = [];
    for (var i = 0; i < pending.length && group.length < batchSize; i++) {
      var entry = pending[i];
      if (alone[entry.seq]) break;
      group.push(entry);
    }
    return group;
  }

  function rejectedRecord(entry, outcome) {
    return {
      id: entry.envelope.id,
      officer_code: entry.officer_code,
      envelope: entry.envelope,
      files: entry.files,
      code: outcome.code || "rejected",
      reason: outcome.reason || "",
      answered_at: new Date().toISOString(),
    };
  }

  // Entries with their answers leave the queue together (one transaction), then each outcome is announced.
  async function settleAll(entries, outcomes) {
    await store.finishEntries(entries.map(function (entry, i) {
      var answered = outcomes[i].status === "applied" || outcomes[i].status === "duplicate";
      return { seq: entry.seq, rejected: answered ? null : rejectedRecord(entry, outcomes[i]) };
    }));
    entries.forEach(function (entry, i) {
      broadcast({ kind: "outcome", id: entry.envelope.id, status: outcomes[i].status, reason: outcomes[i].reason || "" });
    });
  }

  function settle(entry, outcome) {
    return settleAll([entry], [outcome]);
  }

  // `offline` is the device's word that the entry could not reach the server when made or since (the journal
  // marks such commands for reconciliation, docs/offline.md §4a): made offline, or a replay failed after it was
  // queued. Set on what is sent, not on the stored entries: `offline` is not signed, and a failed replay must not
  // rewrite the queue.
  function asSent(entry, lastFailureAt) {
    var envelope = entry.envelope;
    if (envelope.offline || !lastFailureAt || !(Date.parse(lastFailureAt) >= Date.parse(entry.queued_at))) return envelope;
    return Object.assign({}, envelope, { offline: true });
  }

  // The CSRF token is double-submitted: the header must repeat the gs_csrf cookie. Read the cookie itself where
  // this context can (pages: document.cookie; Chromium's worker: cookieStore), because the token a page stored
  // goes stale when the browser drops its session cookies (a restart) and the server sets a new one. Else the
  // token of the last page loaded online.
  async function csrfToken() {
    try {
      if (scope.document && typeof scope.document.cookie === "string") {
        var match = scope.document.cookie.match(new RegExp("(?:^|;\\s*)" + CSRF_COOKIE + "=([^;]*)"));
        if (match) return decodeURIComponent(match[1]);
      } else if (scope.cookieStore) {
        var cookie = await scope.cookieStore.get(CSRF_COOKIE);
        if (cookie && cookie.value) return cookie.value;
      }
    } catch (unreadable) { /* fall back to the stored token */ }
    return (await store.getMeta("csrf_token")) || "";
  }

  // Send one group. Resolves with how many entries left the queue; throws Stop to end the replay.
  async function sendGroup(group, alone, state, options) {
    var csrf = await csrfToken();
    for (var f = 0; f < group.length; f++) {
      if (!group[f].files.length) continue;
      var refused = await uploadFiles(group[f], csrf, options.timeoutMs);
      if (!refused) continue;
      if (f > 0) {
        group = group.slice(0, f); // the ones before it go now; it is refused first thing next round
        break;
      }
      await settle(group[0], { status: "rejected", code: refused.code, reason: refused.reason });
      return 1;
    }
    var answer = await request("POST", "/api/v1/commands", {
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(group.map(function (entry) { return asSent(entry, state.lastFailureAt); })),
      timeoutMs: options.timeoutMs,
    });
    if (state.offset === null) state.offset = clockOffset(answer, null);
    if (isTransient(answer.status)) throw new Stop("http_" + answer.status, retryAfter(answer));
    if (answer.status !== 200) {
      // The request as a whole was refused (e.g. an envelope the server cannot read). In a batch, the culprit
      // is unknown: send each of them alone, so only the one at fault is refused.
      if (group.length > 1) {
        group.forEach(function (entry) { alone[entry.seq] = true; });
        return 0;
      }
      var why = refusal(answer);
      await settle(group[0], { status: "rejected", code: why.code, reason: why.reason });
      return 1;
    }
    // One answer per command, in the order sent (matched by position: a batch may hold one id twice, and the
    // first is "applied", the second "duplicate").
    var results = (answer.body && answer.body.results) || [];
    var answered = [];
    for (var i = 0; i < group.length; i++) {
      var outcome = results[i];
      // Never assume: an entry without its answer stays queued and goes again (its id makes that safe).
      if (!outcome || outcome.id !== group[i].envelope.id) break;
      answered.push(outcome);
    }
    await settleAll(group.slice(0, answered.length), answered);
    if (answered.length < group.length) throw new Stop("no_answer");
    return answered.length;
  }

  // The replay stopped: the entries it tried keep their place, with the error and one more attempt. The others
  // are not touched (asSent marks them offline when they go, from `last_failure_at`).
  async function markStopped(tried, code) {
    await store.updateQueued(tried.map(function (entry) { return entry.seq; }), function (entry) {
      entry.attempts = (entry.attempts || 0) + 1;
      entry.last_error = code;
    });
  }

  async function drain(options) {
    var state = { offset: null, status: null, lastFailureAt: await store.getMeta("last_failure_at") };
    var done = 0;
    var error = null;
    var wait = null;
    var alone = {};
    var officer = null;
    var group = [];
    var batchSize = options.batchSize || BATCH_SIZE;
    try {
      if (!options.force && (await store.count("queue")) === 0) return { done: 0, error: null, retryAfter: null };
      officer = await whoAmI(state, options.timeoutMs);
      for (;;) {
        // The next batch, read by the officer index: a replay never reads the whole queue.
        var pending = await store.queueHead(officer, batchSize);
        if (!pending.length) break;
        broadcast({ kind: "progress", done: done, total: done + (await store.counts(officer)).mine });
        group = nextGroup(pending, alone, batchSize);
        done += await sendGroup(group, alone, state, options);
      }
      if (done) broadcast({ kind: "progress", done: done, total: done });
    } catch (failure) {
      if (!(failure instanceof Stop)) throw failure;
      error = failure.code;
      wait = failure.retryAfter;
      if (!officer) {
        // The server was not reached at all: the first entry of the officer this device last saw waits.
        group = await store.queueHead(await store.getMeta("officer_code"), 1);
      }
      await markStopped(group, error);
    }
    var meta = { last_sync_at: new Date().toISOString(), last_sync_error: error };
    if (error) meta.last_failure_at = meta.last_sync_at;
    if (state.offset !== null) {
      meta.clock_offset_ms = state.offset;
      meta.clock_checked_at = new Date().toISOString();
    }
    if (state.status) {
      meta.contingency = state.status.contingency;
      if (state.status.queue_warn_days) meta.queue_warn_days = state.status.queue_warn_days;
    }
    await store.setMetas(meta);
    if (error) broadcast({ kind: "stopped", error: error, retryAfter: wait, at: meta.last_sync_at });
    return { done: done, error: error, retryAfter: wait, at: meta.last_sync_at };
  }

  var running = null; // without Web Locks (Safari before 15.4): one replay per context at least

  // Replay the queue once. Resolves with {done, error} (error: null, "network", "timeout", "http_503", ...), or
  // {skipped: true} when another tab or the worker is replaying already (it broadcasts what happens).
  // options: {force: talk to the server even with an empty queue (to measure the clock), batchSize, timeoutMs}.
  async function replay(options) {
    options = options || {};
    var summary = { skipped: true };
    if (scope.navigator.locks) {
      await scope.navigator.locks.request(LOCK, { ifAvailable: true }, async function (lock) {
        if (lock) summary = await drain(options);
      });
    } else if (!running) {
      running = drain(options);
      try { summary = await running; } finally { running = null; }
    }
    // After the lock is released: a waiting worker asked to take over checks the lock and the queue.
    if (!summary.skipped) await announceIdle();
    return summary;
  }

  // Is a replay running anywhere on this device (any tab, the worker)?
  async function syncing() {
    if (!scope.navigator.locks || !scope.navigator.locks.query) return Boolean(running);
    var snapshot = await scope.navigator.locks.query();
    return snapshot.held.concat(snapshot.pending).some(function (lock) { return lock.name === LOCK; });
  }

  scope.giamsatQueue = {
    LOCK: LOCK,
    CHANNEL: CHANNEL,
    enqueue: enqueue,
    fate: fate,
    csrfToken: csrfToken,
    replay: replay,
    counts: counts,
    syncing: syncing,
    announceIdle: announceIdle,
  };
})(self);
