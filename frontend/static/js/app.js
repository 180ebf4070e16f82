// giamsat page script: device identity, command ids at submit, online/offline banner, service worker and updates.
(function () {
  "use strict";

  // One id per installed browser profile: the journal records which device issued each command.
  function deviceId() {
    var id = localStorage.getItem("giamsat.device_id");
    if (!id) {
      id = "web-" + crypto.randomUUID();
      localStorage.setItem("giamsat.device_id", id);
    }
    return id;
  }
  window.giamsat = window.giamsat || {};
  window.giamsat.deviceId = deviceId;

  // A command gets its id and device time when the officer submits, never when the form was rendered:
  // a form served from a cache must not reuse an id. Capture phase, so this runs before htmx sends the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.command) return;
    form.elements.namedItem("command_id").value = crypto.randomUUID();
    form.elements.namedItem("issued_at").value = new Date().toISOString();
    form.elements.namedItem("device_id").value = deviceId();
  }, true);

  function showConnection() {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = navigator.onLine;
  }
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  document.addEventListener("DOMContentLoaded", showConnection);

  // Service worker: a new version waits until the officer chooses to update, so it never takes over mid-work.
  // The offer lives in the page's state, not in the banner element: hx-boost swaps the body (banner included)
  // on every navigation, so the banner is shown again after each swap while a worker waits.
  var PAGES_CACHE = "giamsat-pages"; // the same name as in sw.js
  var ACCEPTED_KEY = "giamsat.update_accepted"; // the officer's consent, kept while the update waits for the queue
  var waitingWorker = null;
  var updateAccepted = false;
  var updateDeferred = false;
  var reloading = false;

  function reload() {
    if (reloading) return;
    reloading = true;
    window.location.reload();
  }

  function showUpdate() {
    var banner = document.getElementById("update-banner");
    var button = document.getElementById("update-apply");
    if (!waitingWorker || !banner || !button || button.dataset.bound) return;
    button.dataset.bound = "1";
    button.disabled = updateAccepted;
    showDeferred();
    button.addEventListener("click", function () {
      if (!waitingWorker) return;
      updateAccepted = true;
      button.disabled = true;
      activateUpdate();
    });
    banner.hidden = false;
  }

  // The banner says the update follows the sync (the words come from the page: data-deferred).
  function showDeferred() {
    var text = document.getElementById("update-text");
    if (updateDeferred && text && text.dataset.deferred) text.textContent = text.dataset.deferred;
  }

  // Ask the waiting worker to take over. It refuses while the device queue holds commands or a replay runs
  // (sw.js, SKIP_WAITING): the consent is then kept, and asked again whenever a replay ends with an empty queue
  // (the "idle" broadcast below) and on the next pages, until the new version is in.
  function activateUpdate() {
    if (!waitingWorker) return;
    // Accepted in another tab already: the new version controls this page too, only the reload is left.
    if (waitingWorker.state === "activated") return reload();
    var channel = new MessageChannel();
    channel.port1.onmessage = function (event) {
      if (event.data && event.data.type === "UPDATE_DEFERRED") {
        updateDeferred = true;
        try { localStorage.setItem(ACCEPTED_KEY, "1"); } catch (error) { /* asked again on this page only */ }
        showDeferred();
        return;
      }
      try { localStorage.removeItem(ACCEPTED_KEY); } catch (error) { /* nothing kept */ }
      // Chromium activates the new worker only once the old one is idle, and (seen in the browser tests) can wait
      // for good. Unloading the page lets it go: tell the old worker to step aside (see RETIRE in sw.js), reload.
      setTimeout(function () {
        if (reloading) return;
        var current = navigator.serviceWorker.controller;
        if (current) current.postMessage({ type: "RETIRE" });
        setTimeout(reload, 100);
      }, 3000);
    };
    waitingWorker.postMessage({ type: "SKIP_WAITING" }, [channel.port2]);
  }

  if (typeof BroadcastChannel !== "undefined") {
    new BroadcastChannel("giamsat-sync").addEventListener("message", function (event) {
      var message = event.data || {};
      if (message.kind === "idle" && message.queued === 0 && updateAccepted && waitingWorker) activateUpdate();
    });
  }

  function offerUpdate(worker) {
    waitingWorker = worker;
    worker.addEventListener("statechange", function () {
      if (worker.state === "redundant" && waitingWorker === worker) waitingWorker = null; // replaced by a newer one
    });
    showUpdate();
  }
  document.addEventListener("htmx:load", showUpdate);

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      // A page that did not come through the worker (the first visit, or one loaded while the worker was still
      // activating) has no offline copy yet: ask the worker to keep one. Checking the cache itself, rather than
      // whether a controller existed at load, also covers a worker that claimed the page mid-load.
      navigator.serviceWorker.ready.then(function (registration) {
        if (!navigator.serviceWorker.controller && registration.active) registration.active.postMessage({ type: "CLAIM" });
        var key = window.location.pathname + window.location.search;
        return caches.open(PAGES_CACHE).then(function (cache) { return cache.match(key); }).then(function (copy) {
          if (!copy && registration.active) registration.active.postMessage({ type: "CACHE_PAGE", url: window.location.href });
        });
      }).catch(function () { /* no offline copy of this page: it still works online */ });
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
        if (registration.waiting && navigator.serviceWorker.controller) {
          // Accepted on an earlier page, and still waiting for the queue to drain: ask again.
          var accepted = Boolean(localStorage.getItem(ACCEPTED_KEY));
          updateAccepted = updateAccepted || accepted;
          offerUpdate(registration.waiting);
          if (accepted) activateUpdate();
        } else {
          localStorage.removeItem(ACCEPTED_KEY);
        }
        registration.addEventListener("updatefound", function () {
          var incoming = registration.installing;
          if (!incoming) return;
          incoming.addEventListener("statechange", function () {
            if (incoming.state === "installed" && navigator.serviceWorker.controller) offerUpdate(incoming);
          });
        });
        // Tablets that are never closed never reload: look for a new version every hour and when shown again.
        setInterval(function () { registration.update().catch(function () {}); }, 60 * 60 * 1000);
        document.addEventListener("visibilitychange", function () {
          if (document.visibilityState === "visible") registration.update().catch(function () {});
        });
      }).catch(function (error) { console.warn("service worker not registered", error); });
    });
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      // Only reload when the officer asked for the update (the first install also changes controller).
      if (updateAccepted) reload();
    });
  }

  // Signing out clears what this browser kept of the officer's pages: the worker's offline copies, and the
  // snapshots htmx 2 keeps in sessionStorage for the back button (otherwise "back" would show them signed out).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.action.endsWith("/signout")) return;
    try { sessionStorage.removeItem("htmx-history-cache"); } catch (error) { /* storage disabled: nothing kept */ }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "CLEAR_PAGES" });
    }
  }, true);
})();
