// giamsat queue client (the page side of docs/offline.md §1–2): a form with data-command goes into the device
// queue first, then is sent; the header shows what waits; replays start on load, on `online` and on "Sync now".
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

  // The entry's fate, read from the store (the truth; broadcasts only say when to look).
  function fate(id) {
    return store.queueEntries().then(function (entries) {
      if (entries.some(function (entry) { return entry.envelope.id === id; })) return { status: "queued" };
      return store.get("rejected", id).then(function (rejected) {
        return rejected ? { status: "rejected", reason: rejected.reason, code: rejected.code } : { status: "applied" };
      });
    });
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

  function answerFor(id) {
    if (!navigator.onLine) return Promise.resolve({ status: "queued" });
    return Promise.race([
      queue.replay().then(function (summary) { return summary.skipped ? waitForWord(id, OUTCOME_WAIT_MS) : null; }),
      // A server that does not answer (a hanging network) must not keep the officer waiting: the entry stays
      // queued and the replay goes on; the badge shows when it leaves.
      new Promise(function (resolve) { setTimeout(resolve, OUTCOME_WAIT_MS); }),
    ]).then(function () { return fate(id); });
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
      return queue.enqueue(envelope, officer, photos).then(function () {
        refresh();
        askPersistence();
        registerBackgroundSync();
        return answerFor(envelope.id).then(function (outcome) { return showOutcome(form, outcome, envelope); });
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
    if (message.kind === "idle") progress = null;
    refresh();
  };

  // --- triggers ----------------------------------------------------------------------------------------------------

  function sync(force) {
    if (!officerCode()) return Promise.resolve({ skipped: true });
    return queue.replay({ force: force }).catch(function (error) {
      console.warn("giamsat: replay failed", error);
      return { error: "internal" };
    });
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

  window.addEventListener("online", function () { remember().then(function () { return sync(false); }); });

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
