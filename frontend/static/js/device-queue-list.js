// giamsat: what this device still has to send, shown where the work is seen. Any element with
// [data-device-queue="<command type>,<command type>"] (and optionally data-location-id) lists this officer's queued
// entries of those types with a clone of its own <template> (.entry-type, .entry-summary, .entry-time), and is
// hidden when there are none. Also `giamsatDescribe`, how a queued entry is named for people (here and on /sync).
(function () {
  "use strict";

  var labels = null;
  function label(type) {
    if (labels === null) {
      var element = document.querySelector('meta[name="command-labels"]');
      try { labels = JSON.parse(element ? element.content : "{}"); } catch (unreadable) { labels = {}; }
    }
    return labels[type] || type;
  }

  // The first words the officer wrote, so that a list of queued entries can be told apart.
  function summary(envelope) {
    var payload = envelope.payload || {};
    var text = "";
    Object.keys(payload).some(function (key) {
      if (typeof payload[key] === "string" && payload[key].trim()) { text = payload[key].trim(); return true; }
      return false;
    });
    return text.length > 80 ? text.slice(0, 79) + "…" : text;
  }

  function when(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    return date.toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "vi-VN");
  }

  window.giamsatDescribe = { label: label, summary: summary, when: when };

  function officerCode() {
    var element = document.querySelector('meta[name="officer-code"]');
    return element ? element.content : "";
  }

  // At most SHOWN entries are drawn: a long queue (thousands after a day offline) drawn whole made every change
  // to the page redo the layout of thousands of rows, and a submit slow (bench/submit.py). /sync lists them all.
  var SHOWN = 20;

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }

  function renderHolder(holder) {
    var store = window.giamsatStore;
    var officer = officerCode();
    var types = holder.dataset.deviceQueue.split(",");
    var location = holder.dataset.locationId ? Number(holder.dataset.locationId) : null;
    function wanted(entry) {
      var payload = entry.envelope.payload || {};
      return types.indexOf(entry.envelope.type) >= 0 && (location === null || payload.location_id === location);
    }
    return store.queueFirstWhere(officer, wanted, SHOWN).then(function (read) {
      var list = holder.querySelector("[data-device-queue-items]");
      var template = holder.querySelector("template");
      list.replaceChildren();
      read.entries.forEach(function (entry) {
        var item = template.content.firstElementChild.cloneNode(true);
        item.querySelector(".entry-type").textContent = label(entry.envelope.type);
        item.querySelector(".entry-summary").textContent = summary(entry.envelope);
        item.querySelector(".entry-time").textContent = when(entry.envelope.issued_at);
        list.appendChild(item);
      });
      holder.hidden = read.entries.length === 0;
      var more = holder.querySelector("[data-device-queue-more]");
      if (!more) return null;
      more.hidden = !read.more;
      if (!read.more) return null;
      return store.counts(officer).then(function (counts) {
        more.querySelector("span").textContent = fill(more.dataset.text, { count: counts.mine });
      });
    });
  }

  function render() {
    var holders = document.querySelectorAll("[data-device-queue]");
    if (!holders.length || !window.giamsatStore || !officerCode()) return Promise.resolve();
    return Promise.all(Array.prototype.map.call(holders, renderHolder))
      .catch(function (error) { console.warn("giamsat: queued entries unreadable", error); });
  }

  // A replay announces every answer; reading the whole queue for each one made a 1,000-entry sync several times
  // slower (bench/sync.py). So the list is drawn at most every RENDER_MS, and once more after the last message.
  var RENDER_MS = 400;
  var scheduled = null;
  var dirty = false;
  function renderSoon() {
    dirty = true;
    if (scheduled) return;
    scheduled = setTimeout(function () {
      dirty = false;
      render().then(function () {
        scheduled = null;
        if (dirty) renderSoon(); // news arrived while drawing: draw once more
      });
    }, RENDER_MS);
  }

  try {
    new BroadcastChannel("giamsat-sync").onmessage = renderSoon;
  } catch (unsupported) { /* no BroadcastChannel: the list is drawn on each page load and swap */ }
  document.addEventListener("htmx:load", function () { render(); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
