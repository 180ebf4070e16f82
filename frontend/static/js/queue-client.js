// giamsat queue client (the page side of docs/offline.md §1–2): a form with data-command goes into the device
// queue first, then is sent; the header shows what waits; replays start on load, on `online`, when the page is
// shown or focused, on "Sync now", and again by themselves after a failure (backoff with jitter, seconds).
// Needs /sw/store.js, /sw/serialize.js and /sw/queue.js. Without them (or without IndexedDB) forms post as usual.
(function () {
  "use strict";

  var store = window.giamsatStore;
  var queue = window.giamsatQueue;
  var serialize = window.giamsatSerialize;
  if (!store || !queue || !serialize || !window.indexedDB) return;

  var OUTCOME_WAIT_MS = 8000; // how long a submit waits for the server's answer before saying "queued"
  var CLOCK_WARN_MS = 2 * 60 * 1000;
  var FLASH_KEY = "giamsat.flash";

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.content : "";
  }
  function officerCode() { return meta("officer-code"); }
  function strings() {
    var element = document.getElementById("queue-strings");
    return element ? element.dataset : {};
  }
  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }

  // The worker replays with the officer code and CSRF token of the last page loaded from the network. A page
  // opened offline may be an old copy (another officer's, an old token): it writes nothing.
  function remember() {
    if (!navigator.onLine || !officerCode()) return Promise.resolve();
    return store.setMetas({ csrf_token: meta("csrf-token"), officer_code: officerCode() });
  }

  // --- submit -----------------------------------------------------------------------------------------------------

  function field(form, name) {
    var control = form.elements.namedItem(name);
    return control && control.value ? control.value : "";
  }

  // The envelope is made at submit, from the values app.js has just put in the form (never ids from render time).
  function envelopeFrom(form) {
    return {
      id: field(form, "command_id") || crypto.randomUUID(),
      type: form.dataset.command,
      issued_at: field(form, "issued_at") || new Date().toISOString(),
      device_id: field(form, "device_id") || (window.giamsat && window.giamsat.deviceId ? window.giamsat.deviceId() : "web"),
      payload: serialize.payloadFromForm(form),
      offline: !navigator.onLine,
      signature: null,
    };
  }

  // Where the outcome of a submit is said: the form's error box (role=alert), or a note (role=status). A box the
  // page does not have yet is made where the server would have rendered it, named as templates name it
  // (the error box of form "logbook-form" is "logbook-error").
  function box(form, kind) {
    var container = form.parentNode;
    var selector = kind === "error" ? ".message-error" : ".message-note";
    var element = container.querySelector(selector);
    if (!element) {
      element = document.createElement("p");
      element.className = kind === "error" ? "message message-error" : "message message-note";
      element.setAttribute("role", kind === "error" ? "alert" : "status");
      if (kind === "error" && /-form$/.test(form.id)) element.id = form.id.replace(/-form$/, "-error");
      container.insertBefore(element, form);
    }
    return element;
  }
  function say(form, kind, text) {
    var other = form.parentNode.querySelector(kind === "error" ? ".message-note" : ".message-error");
    if (other) other.hidden = true;
    var element = box(form, kind);
    element.textContent = text;
    element.hidden = false;
  }


  // Another context (a tab, the worker) holds the replay: wait for its word on this entry, or for it to end.
  function waitForWord(id, ms) {
    return new Promise(function (resolve) {
      var listener = new BroadcastChannel(queue.CHANNEL);
      var timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); listener.close(); resolve(); }
      listener.onmessage = function (event) {
        var message = event.data || {};
        if ((message.kind === "outcome" && message.id === id) || message.kind === "idle") done();
      };
    });
  }

  // `seq`: the entry's key, when the caller has it (the entry is then found without a queue scan).
  function answerFor(id, seq) {
    if (!navigator.onLine) return Promise.resolve({ status: "queued" });
    return Promise.race([
      queue.replay().then(function (summary) {
        afterReplay(summary);
        return summary.skipped ? waitForWord(id, OUTCOME_WAIT_MS) : null;
      }),
      // A server that does not answer (a hanging network) must not keep the officer waiting: the entry stays
      // queued and the replay goes on; the badge shows when it leaves.
      new Promise(function (resolve) { setTimeout(resolve, OUTCOME_WAIT_MS); }),
    ]).then(function () { return queue.fate(seq, id); });
  }

  function showOutcome(form, outcome, envelope) {
    var words = strings();
    // The page may show the outcome itself (the gate page redraws from the device's data, which a reload offline
    // could not): it cancels this event. Otherwise the form says it, as below.
    var told = new CustomEvent("giamsat:outcome", { bubbles: true, cancelable: true, detail: { outcome: outcome, envelope: envelope } });
    if (!form.dispatchEvent(told)) {
      if (outcome.status === "applied" || outcome.status === "queued") form.reset();
      return;
    }
    if (outcome.status === "applied") {
      // Reload as a navigation: the page shows the new state, the worker refreshes its offline copy, and htmx
      // and the CSP start from a clean page as on any load. The note survives the reload in sessionStorage.
      try { sessionStorage.setItem(FLASH_KEY, words.saved || ""); } catch (error) { /* no note: still saved */ }
      window.location.reload();
    } else if (outcome.status === "rejected") {
      // What the officer typed stays; the reason is said here, so the rejected list need not keep it.
      say(form, "error", outcome.reason || (outcome.code === "file_missing" ? words.fileMissing : words.refused) || "");
      return store.dismissRejected(envelopeId(form));
    } else {
      form.reset();
      say(form, "note", words.queued || "");
    }
  }

  function envelopeId(form) { return form.dataset.queueId; }

  function submitWithoutQueue(form) {
    form.dataset.queueBypass = "1";
    try { form.requestSubmit(); } finally { delete form.dataset.queueBypass; }
  }

  // Capture phase, registered after app.js's (script order), so the command id is already in the form; the
  // event stops here, so htmx never sends the form itself.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.command || form.dataset.queueBypass) return;
    var officer = officerCode();
    if (!officer) return; // signed out: the server answers the form as it would without script
    event.preventDefault();
    event.stopPropagation();
    if (form.dataset.queueBusy) return;
    form.dataset.queueBusy = "1";
    say(form, "note", strings().sending || "");
    function sendDirectly(error) {
      // The device cannot keep it (storage full, private browsing): send it the ordinary way, online only.
      console.warn("giamsat: could not queue the command, sending it directly", error);
      delete form.dataset.queueBusy;
      submitWithoutQueue(form);
    }
    beforeQueue(form, officer).then(function (envelope) {
      form.dataset.queueId = envelope.id;
      var photos = Array.isArray(envelope.payload.photos) ? envelope.payload.photos : [];
      return queue.enqueue(envelope, officer, photos).then(function (seq) {
        refresh();
        askPersistence();
        registerBackgroundSync();
        return answerFor(envelope.id, seq).then(function (outcome) { return showOutcome(form, outcome, envelope); });
      }, sendDirectly);
    }, function (error) {
      if (error && error.userMessage) return say(form, "error", error.userMessage); // not signed: nothing queued
      return sendDirectly(error);
    }).then(function () {
      delete form.dataset.queueBusy;
      refresh();
    });
  }, true);

  // Before the entry is queued: photos still being prepared join the form (photos.js), and a command that must
  // be signed is signed (signing.js). A signing refusal (cancelled, no nonce left) rejects with `userMessage`.
  function beforeQueue(form, officer) {
    var photos = window.giamsatPhotos ? window.giamsatPhotos.ready(form) : Promise.resolve();
    return photos.then(function () {
      var envelope = envelopeFrom(form);
      var signing = window.giamsatSigning;
      return signing && signing.isSigned(envelope.type) ? signing.sign(envelope, officer) : envelope;
    });
  }

  function registerBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("giamsat-queue");
    }).catch(function () { /* no Background Sync here: the triggers of this page and the worker's start remain */ });
  }

  // Once per device: ask the browser not to evict the queue under storage pressure (Safari evicts after 7 days).
  function askPersistence() {
    if (!navigator.storage || !navigator.storage.persist) return Promise.resolve(false);
    return store.getMeta("persist_asked").then(function (asked) {
      if (asked) return navigator.storage.persisted();
      return store.setMeta("persist_asked", new Date().toISOString()).then(function () { return navigator.storage.persist(); });
    }).catch(function () { return false; });
  }

  // --- header: badge, progress, clock -------------------------------------------------------------------------

  function show(element, visible) { if (element) element.hidden = !visible; }

  var progress = null; // {done, total} while a replay runs anywhere on the device

  function renderCounts(counts) {
    var badge = document.getElementById("queue-count");
    if (badge) {
      badge.textContent = String(counts.mine);
      badge.setAttribute("aria-label", fill(badge.dataset.label, { count: counts.mine }));
      badge.title = badge.getAttribute("aria-label");
      show(badge, counts.mine > 0);
    }
    var alert = document.getElementById("rejected-count");
    if (alert) {
      alert.textContent = "! " + counts.rejected;
      alert.setAttribute("aria-label", fill(alert.dataset.label, { count: counts.rejected }));
      alert.title = alert.getAttribute("aria-label");
      show(alert, counts.rejected > 0);
    }
    var bar = document.getElementById("queue-bar");
    var text = document.getElementById("queue-bar-text");
    var meter = document.getElementById("sync-progress");
    var figures = document.getElementById("sync-progress-text");
    var syncing = Boolean(progress && progress.done < progress.total);
    if (text) text.textContent = syncing ? text.dataset.syncing : fill(text.dataset.waiting, { count: counts.mine });
    if (meter && figures) {
      if (syncing) {
        meter.max = progress.total;
        meter.value = progress.done;
        figures.textContent = progress.done + " / " + progress.total;
      }
      show(meter, syncing);
      show(figures, syncing);
    }
    show(bar, counts.mine > 0 || syncing);
  }

  function renderClock(offset) {
    var banner = document.getElementById("clock-banner");
    if (!banner) return;
    var off = typeof offset === "number" && Math.abs(offset) > CLOCK_WARN_MS;
    if (off) banner.textContent = fill(banner.dataset.text, { minutes: Math.round(Math.abs(offset) / 60000) });
    show(banner, off);
  }

  // One read at a time; a call during a read asks for one more after it, so the last state is always drawn.
  var refreshing = null;
  var again = false;
  function refresh() {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = Promise.all([queue.counts(officerCode()), store.getMeta("clock_offset_ms")]).then(function (values) {
      renderCounts(values[0]);
      renderClock(values[1]);
    }).catch(function (error) {
      console.warn("giamsat: queue state unreadable", error);
    }).then(function () {
      refreshing = null;
      if (again) {
        again = false;
        return refresh();
      }
    });
    return refreshing;
  }

  // Progress and outcomes from whichever context replays (this page's queue.js included: another channel object).
  var listener = new BroadcastChannel(queue.CHANNEL);
  listener.onmessage = function (event) {
    var message = event.data || {};
    if (message.kind === "progress") progress = { done: message.done, total: message.total };
    if (message.kind === "idle") {
      progress = null;
      reportQueue(); // a replay ended somewhere on the device (a tab, the worker): the queue may have changed
    }
    // Another tab or the worker replayed and stopped: this page, if shown, takes up the retrying.
    if (message.kind === "stopped") noteStop(message);
    refresh();
  };

  // --- triggers ----------------------------------------------------------------------------------------------------

  function sync(force) {
    if (!officerCode()) return Promise.resolve({ skipped: true });
    return queue.replay({ force: force }).catch(function (error) {
      console.warn("giamsat: replay failed", error);
      return { error: "internal" };
    }).then(function (summary) {
      afterReplay(summary);
      return summary;
    });
  }

  // --- after a replay: try again by itself, or ask for a sign-in ---------------------------------------------------

  // While a page is shown, a replay that could not reach the server (or was told "not now") is tried again by
  // itself: after 2 s, 4 s, 8 s … at most 30 s, each wait drawn at random between half and all of it (so the
  // phones of a whole port coming back at once spread out instead of arriving together), and never sooner than
  // a Retry-After the server sent. A hidden page waits for visibilitychange; `online` and focus try at once.
  // Safari has no Background Sync: this is what makes an open page recover on its own everywhere.
  var RETRY_BASE_MS = 2000;
  var RETRY_CAP_MS = 30000;
  var retryTimer = null;
  var failures = 0;

  function retryDelay(retryAfterSeconds) {
    var ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, Math.max(0, failures - 1)));
    var delay = ceiling / 2 + Math.random() * (ceiling / 2);
    if (retryAfterSeconds) delay = Math.max(delay, retryAfterSeconds * 1000 * (1 + Math.random() * 0.25));
    return delay;
  }

  function cancelRetry() {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
  }

  // summary: {done, error, retryAfter} of a replay, or {skipped} when another tab or the worker replays (its
  // end is broadcast as "stopped" or "idle", heard below).
  function afterReplay(summary) {
    if (!summary || summary.skipped) return;
    renderSession(summary.error === "http_401");
    if (!summary.error) {
      failures = 0;
      cancelRetry();
      reportQueue();
      return;
    }
    noteStop(summary);
  }

  // A replay stopped ({error, retryAfter, at}): heard both as this page's own summary and as the broadcast of
  // whichever context replayed (this page's included), so counted once per `at`.
  var lastStop = null;
  function noteStop(stop) {
    renderSession(stop.error === "http_401");
    if (stop.error === "http_401" || stop.error === "internal") return; // a sign-in (or a reload) restarts it
    if (stop.at && stop.at === lastStop) return;
    lastStop = stop.at || null;
    failures += 1;
    scheduleRetry(stop.retryAfter);
  }

  function scheduleRetry(retryAfterSeconds) {
    cancelRetry();
    if (document.visibilityState === "hidden" || !navigator.onLine) return;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      retryNow();
    }, retryDelay(retryAfterSeconds));
  }

  // Try now if this officer has something waiting; a replay running elsewhere makes this a no-op.
  function retryNow() {
    cancelRetry();
    if (!navigator.onLine || !officerCode()) return Promise.resolve();
    return queue.counts(officerCode()).then(function (counts) {
      if (counts.mine > 0) return sync(false);
    }).then(refresh, refresh);
  }

  // The replay was refused for an ended session: say so at once, on this page, with the way back.
  function renderSession(expired) {
    var banner = document.getElementById("session-banner");
    if (!banner) return;
    if (!expired) return show(banner, false);
    var link = document.getElementById("session-signin");
    if (link) link.href = "/signin?next=" + encodeURIComponent(location.pathname + location.search);
    queue.counts(officerCode()).then(function (counts) {
      var text = document.getElementById("session-banner-text");
      if (text) text.textContent = fill(text.dataset.text, { count: counts.mine });
      show(banner, true);
    });
  }

  // --- the queue's summary, for the branch's supervisors ---------------------------------------------------------

  // The server cannot see this device's queue: whenever a replay has reached it, the page tells it how many of the
  // officer's actions wait here, the oldest one's time and how many were refused (backend/sync/device_queue.py),
  // so the head can call an officer whose phone holds actions for long. A report, not a command: it is not queued,
  // and one lost is simply sent again next time. At most once a minute unless the figures changed (kept in
  // sessionStorage, so reloads after each applied form do not send one each).
  var REPORT_EVERY_MS = 60 * 1000;
  var REPORT_KEY = "giamsat.queue_report";
  var reportRefused = false; // a role that does not report (an admin): not asked again on this page

  function lastReport() {
    try { return JSON.parse(sessionStorage.getItem(REPORT_KEY) || "null"); } catch (error) { return null; }
  }
  function noteReport(value) {
    try {
      if (value) sessionStorage.setItem(REPORT_KEY, JSON.stringify(value));
      else sessionStorage.removeItem(REPORT_KEY);
    } catch (error) { /* no storage: reports are only throttled less */ }
  }

  var reporting = null; // one report at a time: a replay's end is heard both as its summary and as "idle"
  function reportQueue() {
    var officer = officerCode();
    if (!officer || reportRefused || !navigator.onLine || meta("queue-report") !== "on") return Promise.resolve();
    if (reporting) return reporting;
    reporting = Promise.all([queue.counts(officer), store.queueHead(officer, 1)]).then(function (values) {
      var counts = values[0];
      var oldest = counts.mine > 0 && values[1][0] ? values[1][0].envelope.issued_at : null;
      var body = {
        device_id: window.giamsat && window.giamsat.deviceId ? window.giamsat.deviceId() : "web",
        waiting: counts.mine,
        oldest_issued_at: oldest || null,
        rejected: counts.rejected,
      };
      var key = [officer, body.device_id, body.waiting, body.rejected, body.oldest_issued_at].join("|");
      var last = lastReport();
      if (last && last.key === key && Date.now() - last.at < REPORT_EVERY_MS) return;
      noteReport({ key: key, at: Date.now() });
      return fetch("/api/v1/sync/device-queue", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": meta("csrf-token") },
        body: JSON.stringify(body),
      }).then(function (response) {
        if (response.ok) return;
        noteReport(null); // not stored: sent again at the next chance
        if (response.status === 403) {
          return response.json().then(function (answer) { reportRefused = answer && answer.error === "forbidden"; }, function () {});
        }
      });
    }).catch(function () { noteReport(null); }).then(function () { reporting = null; });
    return reporting;
  }

  window.giamsat = window.giamsat || {};
  window.giamsat.sync = sync;
  // For pages that build their own envelopes (seals-page.js): the same wait for an entry's outcome.
  window.giamsat.answerFor = answerFor;

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-sync-now]") : null;
    if (!button || button.disabled) return;
    button.disabled = true;
    sync(true).then(function () { button.disabled = false; refresh(); });
  });

  window.addEventListener("online", function () {
    failures = 0;
    remember().then(function () { return sync(false); });
  });
  // Shown again or focused after a failed replay (here or in another context): try at once rather than wait out the
  // backoff. With no failure there is nothing to recover (a submit sends its own entry).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      if (failures) retryNow();
    } else {
      cancelRetry();
    }
  });
  window.addEventListener("focus", function () { if (failures) retryNow(); });

  function showFlash() {
    var text = null;
    try {
      text = sessionStorage.getItem(FLASH_KEY);
      sessionStorage.removeItem(FLASH_KEY);
    } catch (error) { return; }
    if (!text) return;
    var form = document.querySelector("form[data-command]");
    if (form) {
      say(form, "note", text);
    } else {
      var main = document.getElementById("main");
      var note = document.createElement("p");
      note.className = "message message-note";
      note.setAttribute("role", "status");
      note.textContent = text;
      if (main) main.insertBefore(note, main.firstChild);
    }
  }

  function start() {
    showFlash();
    remember().then(function () {
      refresh();
      // Measure the clock on every load (force), even with nothing to send.
      if (navigator.onLine) return sync(true);
    }).then(refresh);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // hx-boost swaps the body (header included) on every navigation: draw the header again.
  document.addEventListener("htmx:afterSettle", function () { refresh(); });
})();
