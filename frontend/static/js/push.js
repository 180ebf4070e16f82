// Notifications on this device (/account/devices, supervisors only): ask the browser's permission, subscribe its
// push service with the server's VAPID public key (the section's data-key), and give the subscription to the server;
// or the reverse. A device setting made online, like adding a passkey: never a command in the device queue.
// The service worker shows what arrives (sw.js, "push" and "notificationclick").
(function () {
  "use strict";

  var API = "/api/v1/push/subscriptions";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  // The application server key: base64url of the uncompressed P-256 point -> the bytes subscribe() takes.
  function keyBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function sameKey(buffer, bytes) {
    if (!buffer) return false;
    var other = new Uint8Array(buffer);
    if (other.length !== bytes.length) return false;
    for (var i = 0; i < bytes.length; i++) if (other[i] !== bytes[i]) return false;
    return true;
  }

  function send(method, body) {
    return fetch(API, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) {
        var error = new Error("push: " + response.status);
        error.status = response.status;
        throw error;
      }
      return response;
    });
  }

  function show(section, state) {
    var status = section.querySelector("#push-status");
    section.querySelector("#push-on").hidden = state !== "off" && state !== "failed";
    section.querySelector("#push-off").hidden = state !== "on";
    var text = state === "off" ? "" : status.dataset[state] || "";
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle("message-error", state === "failed" || state === "denied");
  }

  function current() {
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription().then(function (subscription) {
        return { registration: registration, subscription: subscription };
      });
    });
  }

  function switchOn(section) {
    var key = keyBytes(section.dataset.key);
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") return "denied";
      return current().then(function (found) {
        // A subscription made with another server key (the key was changed) cannot be reused: make a new one.
        var stale = found.subscription && !sameKey(found.subscription.options.applicationServerKey, key);
        return (stale ? found.subscription.unsubscribe() : Promise.resolve()).then(function () {
          return stale || !found.subscription
            ? found.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
            : found.subscription;
        });
      }).then(function (subscription) {
        // Not known to the server: drop it here too, so the page never says "notified" when the server disagrees.
        return send("POST", subscription.toJSON()).then(function () { return "on"; }, function (error) {
          return subscription.unsubscribe().then(function () { throw error; });
        });
      });
    });
  }

  function switchOff() {
    return current().then(function (found) {
      if (!found.subscription) return "off";
      return send("DELETE", { endpoint: found.subscription.endpoint }).catch(function (error) {
        if (error.status !== 404) throw error; // unknown to the server already: only this browser still has it
      }).then(function () {
        return found.subscription.unsubscribe();
      }).then(function () { return "off"; });
    });
  }

  function init() {
    var section = document.getElementById("push");
    if (!section || section.dataset.ready) return;
    section.dataset.ready = "1";
    if (!supported()) {
      show(section, "unsupported");
      return;
    }
    function run(action) {
      action(section).then(function (state) { show(section, state); }, function () { show(section, "failed"); });
    }
    section.querySelector("#push-on").addEventListener("click", function () { run(switchOn); });
    section.querySelector("#push-off").addEventListener("click", function () { run(switchOff); });
    if (Notification.permission === "denied") {
      show(section, "denied");
      return;
    }
    current().then(function (found) { show(section, found.subscription ? "on" : "off"); }, function () { show(section, "off"); });
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:load", init);
})();
