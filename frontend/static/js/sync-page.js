// giamsat /sync page: the queue, the refusals, storage and clock of this device, read from IndexedDB (the server only sends the frame,
// frontend/templates/sync/device.html, whose data-* attributes carry the translated words).
// Loaded on every page (hx-boost never runs a swapped-in page's own scripts); acts when #sync-page is there.
(function () {
  "use strict";

  var store = window.giamsatStore;
  var queue = window.giamsatQueue;
  if (!store || !queue || !window.indexedDB) return;

  var DAY_MS = 24 * 60 * 60 * 1000;
  var CLOCK_WARN_MS = 2 * 60 * 1000;

  function root() { return document.getElementById("sync-page"); }
  function byId(id) { return document.getElementById(id); }
  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }
  function officerCode() {
    var element = document.querySelector('meta[name="officer-code"]');
    return element ? element.content : "";
  }
  function when(iso) { return window.giamsatDescribe.when(iso); }
  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1);
  }

  // A line about a command: its first words (the officer recognises "what happened", not a type name).
  function row(templateId, entry) {
    var item = byId(templateId).content.firstElementChild.cloneNode(true);
    item.dataset.id = entry.envelope.id;
    item.querySelector(".entry-type").textContent = window.giamsatDescribe.label(entry.envelope.type);
    item.querySelector(".entry-summary").textContent = window.giamsatDescribe.summary(entry.envelope);
    return item;
  }

  // This officer's entries one by one; another officer's (a shared phone) only as a count: what they wrote is theirs.
  function renderQueued(page, entries, officer) {
    var list = byId("sync-queued");
    list.replaceChildren();
    var others = {};
    entries.forEach(function (entry) {
      if (entry.officer_code !== officer) {
        others[entry.officer_code] = (others[entry.officer_code] || 0) + 1;
        return;
      }
      var item = row("sync-queued-item", entry);
      item.querySelector(".entry-meta").textContent = fill(page.dataset.queuedMeta, {
        time: when(entry.envelope.issued_at),
        attempts: entry.attempts || 0,
      });
      var error = item.querySelector(".entry-error");
      error.textContent = entry.last_error ? fill(page.dataset.lastError, { error: entry.last_error }) : "";
      error.hidden = !entry.last_error;
      list.appendChild(item);
    });
    Object.keys(others).forEach(function (code) {
      var item = document.createElement("li");
      item.className = "list-item sync-entry sync-entry-other";
      item.dataset.officer = code;
      item.textContent = fill(page.dataset.otherOfficer, { count: others[code], code: code });
      list.appendChild(item);
    });
    byId("sync-queued-empty").hidden = entries.length > 0;

    // The oldest entry (first in the queue) waiting too long: the device may be wiped or evicted before it goes.
    var days = parseInt(page.dataset.staleDays, 10) || 3;
    var oldest = entries.length ? Date.parse(entries[0].queued_at) : NaN;
    var stale = byId("sync-stale");
    stale.textContent = fill(stale.dataset.text, { days: days });
    stale.hidden = !(oldest && Date.now() - oldest > days * DAY_MS);
  }

  function renderRejected(page, entries) {
    var list = byId("sync-rejected");
    list.replaceChildren();
    entries.forEach(function (entry) {
      var item = row("sync-rejected-item", entry);
      item.querySelector(".entry-meta").textContent = fill(page.dataset.rejectedMeta, { time: when(entry.envelope.issued_at) });
      item.querySelector(".entry-reason").textContent = entry.reason || (entry.code === "file_missing" ? page.dataset.fileMissing : entry.code);
      list.appendChild(item);
    });
    byId("sync-rejected-empty").hidden = entries.length > 0;
  }

  function renderDevice(page, facts) {
    byId("sync-device-id").textContent = localStorage.getItem("giamsat.device_id") || "";
    byId("sync-last").textContent = facts.lastSync ? when(facts.lastSync) + (facts.lastError ? " — " + facts.lastError : "") : page.dataset.never;
    var clock = byId("sync-clock");
    var clockWarning = byId("sync-clock-warning");
    if (typeof facts.offset === "number") {
      clock.textContent = fill(page.dataset.clock, { seconds: Math.round(facts.offset / 1000) });
      clockWarning.hidden = Math.abs(facts.offset) <= CLOCK_WARN_MS;
    } else {
      clock.textContent = page.dataset.unknown;
      clockWarning.hidden = true;
    }
  }

  function renderStorage(page) {
    var used = byId("sync-storage");
    var persisted = byId("sync-persisted");
    if (!navigator.storage || !navigator.storage.estimate) {
      used.textContent = page.dataset.unknown;
      persisted.textContent = page.dataset.unknown;
      return Promise.resolve();
    }
    return Promise.all([
      navigator.storage.estimate(),
      navigator.storage.persisted ? navigator.storage.persisted() : Promise.resolve(false),
    ]).then(function (values) {
      used.textContent = fill(page.dataset.storage, { used: megabytes(values[0].usage || 0), quota: megabytes(values[0].quota || 0) });
      persisted.textContent = values[1] ? page.dataset.yes : page.dataset.no;
      persisted.dataset.persisted = values[1] ? "1" : "0";
    });
  }

  // One read at a time; a call during a read asks for one more after it, so the last state is always drawn.
  var rendering = null;
  var again = false;
  function render() {
    var page = root();
    if (!page) return Promise.resolve();
    if (rendering) {
      again = true;
      return rendering;
    }
    var officer = officerCode();
    rendering = Promise.all([
      store.queueEntries(),
      store.all("rejected"),
      store.getMeta("clock_offset_ms"),
      store.getMeta("last_sync_at"),
      store.getMeta("last_sync_error"),
    ]).then(function (values) {
      renderQueued(page, values[0], officer);
      renderRejected(page, values[1].filter(function (entry) { return entry.officer_code === officer; }));
      renderDevice(page, { offset: values[2], lastSync: values[3], lastError: values[4] });
      page.dataset.ready = "1";
      return renderStorage(page);
    }).catch(function (error) {
      console.warn("giamsat: the device's queue is unreadable", error);
    }).then(function () {
      rendering = null;
      if (again) {
        again = false;
        return render();
      }
    });
    return rendering;
  }

  // --- export ------------------------------------------------------------------------------------------------------

  function base64(buffer) {
    var bytes = new Uint8Array(buffer);
    var chunks = [];
    for (var i = 0; i < bytes.length; i += 0x8000) {
      chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
    }
    return btoa(chunks.join(""));
  }

  // The whole device queue (every officer's entries, in order) and its photos, as the file `giamsat sync import`
  // reads (docs/offline.md §5). Exporting removes nothing: the entries still sync, and ids make a later import
  // of the same file harmless.
  function exportQueue() {
    return store.queueEntries().then(function (entries) {
      var files = {};
      var shas = [];
      entries.forEach(function (entry) {
        entry.files.forEach(function (sha) { if (shas.indexOf(sha) < 0) shas.push(sha); });
      });
      return Promise.all(shas.map(function (sha) {
        return store.getFile(sha).then(function (file) {
          if (file) files[sha] = { type: file.type, base64: base64(file.bytes) };
        });
      })).then(function () {
        var deviceId = localStorage.getItem("giamsat.device_id") || "";
        var exported = new Date().toISOString();
        var document_ = {
          format: "giamsat-queue",
          version: 1,
          device_id: deviceId,
          officer_code: officerCode(),
          exported_at: exported,
          entries: entries.map(function (entry) {
            return { officer_code: entry.officer_code, envelope: entry.envelope, files: entry.files };
          }),
          files: files,
        };
        var blob = new Blob([JSON.stringify(document_)], { type: "application/json" });
        var url = URL.createObjectURL(blob);
        var link = document.createElement("a");
        link.href = url;
        link.download = "giamsat-queue-" + (deviceId || "device") + "-" + exported.slice(0, 19).replace(/[:T]/g, "-") + ".json";
        link.hidden = true;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 60 * 1000);
      });
    });
  }

  document.addEventListener("click", function (event) {
    if (!root() || !(event.target instanceof Element)) return;
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var item = dismiss.closest("[data-id]");
      dismiss.disabled = true;
      store.dismissRejected(item.dataset.id).then(function () { return queue.announceIdle(); }).then(render);
      return;
    }
    var button = event.target.closest("#sync-export");
    if (button) {
      button.disabled = true;
      exportQueue().catch(function (error) {
        console.warn("giamsat: export failed", error);
      }).then(function () { button.disabled = false; });
    }
  });

  var listener = new BroadcastChannel(queue.CHANNEL);
  listener.onmessage = function () { render(); };

  function start() {
    if (!root()) return;
    // The page that says what the device keeps is where the officer is asked to keep it for good.
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(function () { return false; }).then(render);
    } else {
      render();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:afterSettle", start);
})();
