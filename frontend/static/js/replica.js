// giamsat replicated reference data (docs/offline.md §5): what the device keeps to work offline, fetched from
// GET /api/v1/replica/<dataset>?since=<cursor> whenever it is online, and shown with its age on /sync
// (#replica-section in sync/device.html, whose data-* attributes carry the translated words).
// Needs /sw/store.js. Records: {dataset, cursor, items, fetched_at, officer_code, complete} in the replica store.
(function () {
  "use strict";

  var store = window.giamsatStore;
  if (!store || !window.indexedDB) return;

  // `profile` first: its item is the officer the server answers for, which is whose data the others are.
  // The gate cards and passages are what the gate check needs offline (backend/gate/replica.py); the server
  // answers them empty to roles that do not work the gate.
  // So are the records handed over to the branch and the keys that verify their printed QR codes (backend/seals).
  var DATASETS = ["profile", "locations", "gate_cards", "gate_passages", "handover_records", "record_keys"];
  var MAX_PAGES = 100; // an incremental dataset answers in pages (complete: false); never loop for ever
  var QUIET_MS = 5 * 60 * 1000; // a page load within this long of the last fetch does not fetch again

  function signedIn() {
    var element = document.querySelector('meta[name="officer-code"]');
    return Boolean(element && element.content);
  }

  // Signing out ends the session the fetches run under: a refresh still going would be answered 401 for every
  // dataset left, so it stops there (the in-flight request is aborted) and the device keeps what it holds.
  var signingOut = new AbortController();
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.action.endsWith("/signout")) signingOut.abort();
  }, true);

  function getJSON(url) {
    if (signingOut.signal.aborted) return Promise.reject(new Error("signing out"));
    var options = { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }, signal: signingOut.signal };
    return fetch(url, options).then(function (response) {
      if (!response.ok) throw new Error("GET " + url + " answered " + response.status);
      return response.json();
    });
  }

  // Brings one dataset up to date; resolves with the stored record. `officer` is whose copy the device may
  // build on: a copy made for another officer (a shared device) is fetched again whole.
  function fetchDataset(name, officer) {
    return store.get("replica", name).then(function (held) {
      var mine = held && (!officer || held.officer_code === officer) ? held : null;
      var items = mine ? (mine.items || []).slice() : [];
      var cursor = mine ? mine.cursor : null;
      var changed = !mine;
      var complete = true;
      function page(number) {
        var url = "/api/v1/replica/" + encodeURIComponent(name) + (cursor ? "?since=" + encodeURIComponent(cursor) : "");
        return getJSON(url).then(function (answer) {
          if (answer.changed) {
            changed = true;
            if (answer.replace) {
              items = (answer.items || []).slice();
            } else {
              var byKey = new Map(items.map(function (item) { return [item.key, item]; }));
              (answer.items || []).forEach(function (item) { byKey.set(item.key, item); });
              (answer.removed || []).forEach(function (key) { byKey.delete(key); });
              items = Array.from(byKey.values());
            }
          }
          cursor = answer.cursor;
          complete = answer.complete !== false;
          if (!complete && number < MAX_PAGES) return page(number + 1);
          return null;
        });
      }
      return page(1).then(function () {
        var now = new Date().toISOString();
        var owner = officer || (name === "profile" && items[0] ? items[0].code : mine && mine.officer_code) || null;
        var record = changed
          ? { dataset: name, cursor: cursor, items: items, fetched_at: now, officer_code: owner, complete: complete }
          : Object.assign({}, mine, { cursor: cursor, fetched_at: now, complete: complete });
        return store.put("replica", record).then(function () { return record; });
      });
    });
  }

  var running = null;

  // Fetches every dataset (profile first). Resolves with {updated: [names], error}; a failure keeps what the
  // device holds. options.force: fetch even if the last fetch is recent.
  function refresh(options) {
    options = options || {};
    if (running) return running;
    if (!navigator.onLine || !signedIn() || signingOut.signal.aborted) return Promise.resolve({ updated: [], error: "offline" });
    running = store.getMeta("replica_fetched_at").then(function (last) {
      if (!options.force && last && Date.now() - Date.parse(last) < QUIET_MS) return { updated: [], error: null };
      var updated = [];
      return fetchDataset(DATASETS[0], null).then(function (profile) {
        updated.push(profile.dataset);
        var officer = profile.officer_code;
        return DATASETS.slice(1).reduce(function (chain, name) {
          return chain.then(function () { return fetchDataset(name, officer); }).then(function (record) { updated.push(record.dataset); });
        }, Promise.resolve());
      }).then(function () {
        return store.setMeta("replica_fetched_at", new Date().toISOString());
      }).then(function () {
        return { updated: updated, error: null };
      }, function (error) {
        console.warn("giamsat: replicated data not refreshed", error);
        return { updated: updated, error: String(error && error.message || error) };
      });
    }).then(function (result) {
      running = null;
      return render().then(function () { return result; });
    });
    return running;
  }

  // --- /sync ---------------------------------------------------------------------------------------------------

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  // 24-hour local time; the date too when it is not today.
  function asOf(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    var time = pad(date.getHours()) + ":" + pad(date.getMinutes());
    var today = new Date();
    if (date.toDateString() === today.toDateString()) return time;
    return time + " " + pad(date.getDate()) + "/" + pad(date.getMonth() + 1) + "/" + date.getFullYear();
  }

  var fill = window.giamsatDom.fill;

  function camel(name) {
    return name.replace(/[-_](\w)/g, function (all, letter) { return letter.toUpperCase(); });
  }

  function render() {
    var section = document.getElementById("replica-section");
    if (!section) return Promise.resolve();
    var words = section.dataset;
    return store.all("replica").then(function (records) {
      var officer = (document.querySelector('meta[name="officer-code"]') || {}).content;
      var list = document.getElementById("replica-datasets");
      list.replaceChildren();
      records.sort(function (a, b) {
        var ia = DATASETS.indexOf(a.dataset), ib = DATASETS.indexOf(b.dataset);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
      });
      records.filter(function (record) { return !record.officer_code || !officer || record.officer_code === officer; }).forEach(function (record) {
        var count = (record.items || []).length;
        var item = document.createElement("li");
        item.className = "list-item replica-item";
        item.dataset.dataset = record.dataset;
        item.dataset.count = String(count);
        var body = document.createElement("div");
        var title = document.createElement("strong");
        title.textContent = words["name" + camel("-" + record.dataset)] || record.dataset;
        var facts = document.createElement("small");
        facts.className = "replica-facts";
        facts.textContent = fill(count === 1 ? words.itemsOne : words.itemsOther, { count: count }) + " · " + fill(words.asOf, { time: asOf(record.fetched_at) });
        body.append(title, facts);
        item.appendChild(body);
        list.appendChild(item);
      });
      document.getElementById("replica-empty").hidden = list.children.length > 0;
    }).catch(function (error) {
      console.warn("giamsat: replicated data unreadable", error);
    });
  }

  window.giamsatReplica = { DATASETS: DATASETS, refresh: refresh, render: render };

  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("[data-sync-now]")) refresh({ force: true });
  });
  window.addEventListener("online", function () { refresh({ force: true }); });
  document.addEventListener("htmx:afterSettle", render);

  function start() {
    render();
    refresh();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
