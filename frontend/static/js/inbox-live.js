// giamsat /inbox, live: the page listens to the branch's inbox stream (backend/inbox/live.py, server-sent events)
// and applies each message: items that appeared are drawn into their kind's group (newest first), items decided
// (here, on another supervisor's phone, or by a command anywhere) leave, counts follow. A message is applied once
// whatever arrives twice: an item already on the page stays as it is (a reason being typed is not lost), a removal
// of what is not there changes nothing.
// Offline, or the server away: the browser's EventSource reconnects by itself and sends the last event id, and the
// server answers what was missed. A stream the server refuses (the session ended) is tried again every 30 s.
// The stream is a plain GET the service worker does not answer (sw.js: not a page), so it works under the worker.
// Loaded on every page (hx-boost never runs a swapped-in page's own scripts); acts when #inbox is there.
(function () {
  "use strict";

  var RETRY_CLOSED_MS = 30000;
  var source = null;
  var page = null;
  var retry = null;

  function root() { return document.getElementById("inbox"); }

  function status(live) {
    var line = document.getElementById("inbox-live");
    if (!line) return;
    line.textContent = live ? line.dataset.live : line.dataset.away;
    line.classList.toggle("inbox-away", !live);
    line.hidden = false;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content.firstElementChild;
  }

  function byKey(container, selector, key) {
    return container.querySelector(selector + '[data-key="' + CSS.escape(key) + '"]');
  }

  function groupFor(inbox, change) {
    var group = inbox.querySelector('section.inbox-group[data-kind="' + CSS.escape(change.kind) + '"]');
    if (group) return group;
    group = fragment(change.group);
    var order = Number(group.dataset.order);
    var after = Array.prototype.find.call(inbox.querySelectorAll("section.inbox-group"), function (other) {
      return Number(other.dataset.order) > order;
    });
    inbox.insertBefore(group, after || null);
    return group;
  }

  function add(inbox, change) {
    if (byKey(inbox, "li.inbox-item", change.key)) return;
    var item = fragment(change.html);
    item.querySelectorAll('input[name="_csrf_token"]').forEach(function (input) { input.value = csrfToken(); });
    var list = groupFor(inbox, change).querySelector("ol");
    var since = item.dataset.since;
    var older = Array.prototype.find.call(list.children, function (other) { return other.dataset.since < since; });
    list.insertBefore(item, older || null);
    if (window.htmx) window.htmx.process(item);
  }

  function recount(inbox, total) {
    inbox.querySelectorAll("section.inbox-group").forEach(function (group) {
      var count = group.querySelectorAll("li.inbox-item").length;
      if (count === 0) group.remove();
      else group.querySelector(".inbox-count").textContent = String(count);
    });
    var badge = document.getElementById("inbox-total");
    if (badge) {
      badge.textContent = String(total);
      badge.hidden = total === 0;
    }
    var empty = document.getElementById("inbox-empty");
    if (empty) empty.hidden = inbox.querySelector("section.inbox-group") !== null;
  }

  function apply(event) {
    var inbox = root();
    if (!inbox) return;
    var message = JSON.parse(event.data);
    message.removed.forEach(function (key) {
      var item = byKey(inbox, "li.inbox-item", key);
      if (item) item.remove();
    });
    message.added.forEach(function (change) { add(inbox, change); });
    recount(inbox, message.total);
    inbox.dataset.cursor = String(message.last);
    inbox.dispatchEvent(new CustomEvent("giamsat:inbox-changed", { bubbles: true, detail: message }));
  }

  function close() {
    if (source) source.close();
    source = null;
    page = null;
    if (retry) clearTimeout(retry);
    retry = null;
  }

  function open() {
    var inbox = root();
    if (!inbox || !window.EventSource) return close();
    if (source && page === inbox) return;
    close();
    page = inbox;
    var url = inbox.dataset.stream;
    if (inbox.dataset.cursor) url = url.replace(/after=\d+/, "after=" + inbox.dataset.cursor);
    source = new EventSource(url);
    source.addEventListener("open", function () { status(true); });
    source.addEventListener("changes", apply);
    // The cursor is one this server never gave (another database) or older than what it keeps: read it all again.
    source.addEventListener("reset", function () { if (navigator.onLine) window.location.reload(); });
    source.addEventListener("error", function () {
      status(false);
      if (source && source.readyState === EventSource.CLOSED) {
        // Refused (the session ended, the server answered something else): the browser will not try again itself.
        var closedPage = page;
        source = null;
        retry = setTimeout(function () { if (root() === closedPage) { page = null; open(); } }, RETRY_CLOSED_MS);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", open);
  document.addEventListener("htmx:afterSettle", open);
  window.addEventListener("pagehide", close);
  window.addEventListener("pageshow", open);
  window.addEventListener("online", function () { if (!source) { page = null; open(); } });
  if (document.readyState !== "loading") open();
})();
