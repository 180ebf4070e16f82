// giamsat gate page (frontend/templates/gate/index.html, docs/gate.md): the officer scans or types a list's code;
// the check runs at once on the device (gate-check.js, the twin of backend/gate/check.py) on the gate card it keeps
// (the gate_cards replica dataset; the server's card when the device has none and the network is there); what has
// passed comes from the gate_passages dataset plus this device's own confirmations, sent or still queued. The
// confirm, cancel and report forms are `form[data-command]`: queue-client.js queues, signs and sends them, online
// or offline, and tells this page the outcome (`giamsat:outcome`) so the page redraws instead of reloading.
// Needs /sw/store.js, iso6346.js, gate-check.js, queue-client.js. Without them the server's view stays.
(function () {
  "use strict";

  var check = window.giamsatGateCheck;
  var store = window.giamsatStore;
  if (!check || !store || !window.indexedDB) return;

  var LOT = "LOT";
  var LOCATION_KEY = "giamsat.gate.location";
  var CONFIRM = "gate.confirm_passage";
  var CANCEL = "gate.cancel_passage";

  // The declaration on screen: {code, parsed, card, source, fetchedAt, outside: {state, sealsIntact}, target}.
  var current = null;
  // Confirmations and cancellations this page saw applied, in order: they stand until the replica brings them.
  var applied = [];

  // --- small helpers ---------------------------------------------------------------------------------------------

  function root() { return document.querySelector("[data-gate-page]"); }
  function words() {
    var element = document.getElementById("gate-strings");
    return element ? element.dataset : {};
  }
  var fill = window.giamsatDom.fill;
  var meta = window.giamsatDom.meta;
  function catalog() { return check.messagesFromPage(document); }
  function checkWords() { return check.wordsFromPage(document); }

  var h = window.giamsatDom.h;

  function pad(number) { return (number < 10 ? "0" : "") + number; }
  function timeText(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    var text = pad(date.getHours()) + ":" + pad(date.getMinutes());
    if (date.toDateString() !== new Date().toDateString()) text += " " + pad(date.getDate()) + "/" + pad(date.getMonth() + 1);
    return text;
  }

  function chosenLocation() {
    var select = document.getElementById("gate-location");
    if (!select || !select.value) return null;
    var option = select.options[select.selectedIndex];
    return { id: Number(select.value), borderGate: option && option.dataset.borderGate === "true" };
  }

  function myName() {
    var element = document.querySelector(".who strong");
    return element ? element.textContent : "";
  }

  // --- the card --------------------------------------------------------------------------------------------------

  // The device's card when it holds one (the check must not wait for the network), else the server's.
  function findCard(number) {
    var officer = meta("officer-code");
    return store.get("replica", "gate_cards").then(function (record) {
      var mine = record && (!record.officer_code || record.officer_code === officer);
      var card = mine ? (record.items || []).find(function (item) { return item.key === number; }) : null;
      if (card) return { card: card, source: "device", fetchedAt: record.fetched_at };
      if (!navigator.onLine) return { missing: true };
      return fetch("/api/v1/gate/cards/" + encodeURIComponent(number), {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      }).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) return { card: body, source: "server" };
          return { error: body.message || String(response.status) };
        });
      }, function () { return { missing: true }; });
    });
  }

  // --- what has passed -------------------------------------------------------------------------------------------

  function unitsOf(envelope) {
    var payload = envelope.payload || {};
    if (envelope.type === CANCEL) return [String(payload.unit || "").toUpperCase()];
    var containers = (payload.containers || []).map(function (number) { return String(number).replace(/\s/g, "").toUpperCase(); });
    return containers.length ? containers : [LOT];
  }

  // unit -> {officer, time, queued}: the replicated standing confirmations, then what this page saw applied, then
  // what waits in this device's queue, each in its order (a cancel removes, a confirm adds).
  function passedUnits(number) {
    var officer = meta("officer-code");
    // Only this declaration's queued entries (an index read): a long queue does not slow a check down.
    return Promise.all([store.get("replica", "gate_passages"), store.queuedFor(officer, number)]).then(function (values) {
      var record = values[0];
      var state = new Map();
      if (record && (!record.officer_code || record.officer_code === officer)) {
        (record.items || []).forEach(function (item) {
          if (item.number === number) state.set(item.unit, { officer: item.officer, time: item.confirmed_at, queued: false });
        });
      }
      var queued = values[1].filter(function (entry) {
        var envelope = entry.envelope || {};
        return entry.officer_code === officer && (envelope.type === CONFIRM || envelope.type === CANCEL) &&
          envelope.payload && envelope.payload.number === number;
      }).map(function (entry) { return { envelope: entry.envelope, queued: true }; });
      var events = applied.filter(function (event) { return event.envelope.payload.number === number; }).concat(queued);
      events.forEach(function (event) {
        unitsOf(event.envelope).forEach(function (unit) {
          if (event.envelope.type === CANCEL) state.delete(unit);
          else state.set(unit, { officer: myName(), time: event.envelope.issued_at, queued: event.queued });
        });
      });
      return state;
    });
  }

  // --- the verdict -----------------------------------------------------------------------------------------------

  function verdictOf(card, extra) {
    var location = chosenLocation();
    var presented = Object.assign({}, extra || {});
    if (location && location.borderGate && current) {
      if (current.outside.state) presented.outside_state = current.outside.state;
      if (current.outside.sealsIntact !== null) presented.seals_intact = current.outside.sealsIntact;
    }
    return check.checkPassage(card, presented, {
      scannedVersion: current && current.parsed.version !== null ? current.parsed.version : null,
      borderGate: Boolean(location && location.borderGate),
      rules: check.rulesFromPage(document), // the deployment's settings (weight tolerance, X-ray warnings)
    });
  }

  function reasonList(reasons, id) {
    var texts = catalog();
    var cw = checkWords();
    return h("ul", { class: "reasons", id: id }, reasons.map(function (reason) {
      return h("li", { class: "reason reason-" + reason.severity, "data-code": reason.code }, [
        h("span", { class: "severity" }, [check.severityWord(reason.severity, cw)]), " ",
        check.text(reason, texts), " ",
        h("small", { class: "clause" }, [check.clauseText(reason.clause, cw, reason.by_analogy)]),
      ]);
    }));
  }

  // --- forms -----------------------------------------------------------------------------------------------------

  function hidden(name, value, type) {
    return h("input", { type: "hidden", name: name, value: value === null || value === undefined ? "" : value, "data-type": type || null });
  }

  // A command form as the templates write them: the envelope's fields (app.js fills them at submit), the CSRF
  // token, then the payload's fields. The action is the page itself: the queue always takes these forms.
  function commandForm(type, id, fields, controls, button, extraClass) {
    var form = h("form", { method: "post", action: "/gate", "data-command": type, id: id, class: "inline-form " + (extraClass || "") });
    form.append(
      hidden("_csrf_token", meta("csrf-token")), hidden("command_id", ""), hidden("issued_at", ""), hidden("device_id", "")
    );
    fields.forEach(function (field) { form.append(hidden(field[0], field[1], field[2])); });
    (controls || []).forEach(function (control) { form.append(control); });
    form.append(h("button", { type: "submit", class: "button " + (button[1] || "button-primary") }, [button[0]]));
    return form;
  }

  function commonFields(card) {
    var location = chosenLocation();
    var fields = [["location_id", location ? location.id : "", "int"], ["number", card.number]];
    return fields;
  }

  function outsideFields() {
    var location = chosenLocation();
    if (!location || !location.borderGate || !current) return [];
    var fields = [];
    if (current.outside.state) fields.push(["outside_state", current.outside.state]);
    if (current.outside.sealsIntact !== null) fields.push(["seals_intact", current.outside.sealsIntact ? "true" : "false", "bool"]);
    return fields;
  }

  function confirmForm(card, units, label) {
    var id = "confirm-" + (units[0] === LOT ? "lot" : units[0]) + "-form";
    // The card this device checked (its stamp), signed with the rest: offline, it is what lets the server apply the
    // confirmation even if the card has changed since (docs/offline.md, "Offline is a marking, not a permission").
    var fields = commonFields(card).concat([["barcode", current.parsed.typed ? "" : current.code], ["card_seen", card.updated_at || ""]]);
    if (units[0] === LOT) fields.push(["lot", "true", "bool"]);
    else units.forEach(function (unit) { fields.push(["containers", unit, "list"]); });
    return commandForm(CONFIRM, id, fields.concat(outsideFields()), lotControls(card, units), [label, "button-primary"], "confirm-form");
  }

  function lotControls(card, units) {
    if (units[0] !== LOT) return [];
    var w = words();
    if (card.cargo_type === "bulk") {
      return [h("label", { for: "lot-weight" }, [w.weight]), h("input", { id: "lot-weight", name: "weight_kg", "data-type": "number", inputmode: "decimal", required: true })];
    }
    return [h("label", { for: "lot-packages" }, [w.packages]), h("input", { id: "lot-packages", name: "package_count", "data-type": "int", inputmode: "numeric", required: true })];
  }

  function cancelForm(card, unit) {
    var w = words();
    var id = "cancel-" + (unit === LOT ? "lot" : unit) + "-form";
    var reasonId = id + "-reason";
    var form = commandForm(CANCEL, id, commonFields(card).concat([["unit", unit]]), [
      h("label", { for: reasonId }, [w.cancelReason]),
      h("input", { id: reasonId, name: "reason", required: true, maxlength: 2000 }),
    ], [w.cancel, "button-secondary"], "cancel-form");
    return h("details", { class: "cancel" }, [h("summary", {}, [w.cancel]), form]);
  }

  function reportForm(card, verdict, type, id, title, send, open) {
    var w = words();
    var fields = commonFields(card);
    var blocking = verdict.reasons.filter(function (r) { return r.severity === "blocking"; });
    // What the truck showed that does not match (a container not declared, a wrong number) goes in the report too.
    var truck = current && current.truckProblem;
    if (truck) blocking = blocking.concat(truck.reasons);
    blocking.forEach(function (r) { fields.push(["reasons", r.code, "list"]); });
    if (truck) fields.push(["containers", truck.number.slice(0, 20), "list"]);
    var noteId = id + "-note";
    var location = chosenLocation();
    // Not a choice: in every mismatch the confirmations already made are cancelled (35.2.b.2.2 / 36.2.c.2.2), and
    // the command does it; the form says so.
    var form = commandForm(type, id, fields, [
      h("label", { for: noteId }, [w.reportNote]),
      h("textarea", { id: noteId, name: "note", rows: 3, maxlength: 2000 }),
      h("p", { class: "hint", id: id + "-cancels" }, [location && location.borderGate ? w.reportCancelsBorder : w.reportCancels]),
    ], [send, "button-danger"], "report-form");
    return h("details", { class: "report", open: open || null }, [h("summary", {}, [title]), form]);
  }

  // --- drawing ---------------------------------------------------------------------------------------------------

  function kindLabel(kind) {
    var w = words();
    return w["kind" + String(kind).replace(/(^|_)(\w)/g, function (all, sep, letter) { return letter.toUpperCase(); })] || kind;
  }

  function result() { return document.getElementById("gate-result"); }

  function message(kind, text) {
    var section = h("section", { class: "card gate-result", "data-source": "device" }, [
      h("p", { class: "message " + (kind === "error" ? "message-error" : ""), role: kind === "error" ? "alert" : "status", id: "gate-error" }, [text]),
    ]);
    result().replaceChildren(section);
  }

  function outsideFieldset() {
    var w = words();
    var state = current.outside.state;
    function radio(value, label) {
      return h("label", { class: "check" }, [h("input", { type: "radio", name: "gate-outside", value: value, checked: state === value || null, "data-outside": value }), " ", label]);
    }
    return h("fieldset", { class: "outside", id: "gate-outside" }, [
      h("legend", {}, [w.outside]),
      radio("intact", w.outsideIntact),
      radio("damaged", w.outsideDamaged),
      h("label", { class: "check" }, [h("input", { type: "checkbox", id: "gate-seals-intact", checked: current.outside.sealsIntact === true || null }), " ", w.sealsIntact]),
    ]);
  }

  function truckFinder() {
    var w = words();
    return h("form", { class: "truck", id: "gate-truck-form", autocomplete: "off" }, [
      h("label", { for: "gate-truck" }, [w.truck]),
      h("input", { id: "gate-truck", name: "truck", maxlength: 20, autocapitalize: "characters", spellcheck: "false", enterkeyhint: "go" }),
      h("button", { type: "submit", class: "button" }, [w.truckCheck]),
      h("div", { id: "gate-truck-result", "aria-live": "polite" }),
    ]);
  }

  function draw() {
    if (!current || !current.card) return Promise.resolve();
    var card = current.card;
    var w = words();
    return passedUnits(card.number).then(function (passed) {
      var verdict = verdictOf(card);
      var location = chosenLocation();
      var children = [
        h("h2", { id: "gate-declaration" }, [fill(w.declaration, { number: card.number }) + " · " + kindLabel(card.kind) + " · " + fill(w.version, { version: card.version })]),
        h("p", { class: "verdict " + (verdict.eligible ? "verdict-pass" : "verdict-stop"), id: "gate-verdict", "data-eligible": String(verdict.eligible) }, [verdict.eligible ? w.mayPass : w.mustNotPass]),
      ];
      if (verdict.reasons.length) children.push(reasonList(verdict.reasons, "gate-reasons"));
      // Not confirmed sealed: the sealing page of this declaration, one tap away (frontend/templates/seals/index.html).
      var sealScript = document.getElementById("seals-page-script");
      if (sealScript && verdict.reasons.some(function (r) { return r.code === "seal_not_confirmed"; })) {
        children.push(h("p", {}, [h("a", { class: "button", id: "gate-seal-link", href: "/seals?number=" + encodeURIComponent(card.number) }, [sealScript.dataset.sealLink])]));
      }
      children.push(h("p", { class: "hint", id: "gate-source", "data-source": current.source }, [
        current.source === "device" ? fill(w.checkedDevice, { time: timeText(current.fetchedAt) }) : w.checkedServer,
      ]));
      if (current.parsed.typed) children.push(h("p", { class: "hint" }, [w.typed]));
      if (location && location.borderGate) children.push(outsideFieldset());
      if (card.cargo_type === "containers") {
        var declared = card.containers || [];
        var count = declared.filter(function (c) { return passed.has(c.number); }).length;
        children.push(h("p", { class: "progress-text", id: "gate-progress", "data-passed": count, "data-total": declared.length }, [fill(w.progress, { passed: count, total: declared.length })]));
        if (verdict.eligible) children.push(truckFinder());
        var rows = declared.map(function (container) {
          var passage = passed.get(container.number);
          var stateText = passage ? (passage.queued ? w.queued : fill(w.passed, { officer: passage.officer, time: timeText(passage.time) })) : w.notPassed;
          var actions = passage ? cancelForm(card, container.number) : (verdict.eligible ? confirmForm(card, [container.number], w.confirm) : "");
          return h("tr", {
            "data-container": container.number,
            "data-state": passage ? (passage.queued ? "queued" : "passed") : "waiting",
            class: current.target === container.number ? "is-target" : null,
          }, [h("td", {}, [container.number]), h("td", {}, [container.seal || ""]), h("td", {}, [h("span", { class: "passage-state" }, [stateText]), actions])]);
        });
        children.push(h("table", { class: "gate-containers" }, [
          h("thead", {}, [h("tr", {}, [h("th", { scope: "col" }, [w.container]), h("th", { scope: "col" }, [w.seal]), h("th", { scope: "col" }, [w.state])])]),
          h("tbody", {}, rows),
        ]));
      } else {
        var lot = passed.get(LOT);
        children.push(h("p", { class: "progress-text", id: "gate-progress", "data-passed": lot ? 1 : 0, "data-total": 1 }, [
          lot ? (lot.queued ? w.queued : w.lotProgressPassed + " " + fill(w.passed, { officer: lot.officer, time: timeText(lot.time) })) : w.lotProgressWaiting,
        ]));
        if (lot) children.push(cancelForm(card, LOT));
        else if (verdict.eligible) children.push(confirmForm(card, [LOT], w.confirmLot));
      }
      if (card.goods_description) children.push(h("p", {}, [h("strong", {}, [w.goods + ": "]), card.goods_description]));
      children.push(reportForm(card, verdict, "gate.report_mismatch", "report-form", w.report, w.reportSend, !verdict.eligible || Boolean(current.truckProblem)));
      if (location && location.borderGate) children.push(reportForm(card, verdict, "gate.refuse_exit", "refuse-form", w.refuse, w.refuseSend, false));
      result().replaceChildren(h("section", { class: "card gate-result", "data-source": "device", "data-number": card.number }, children));
    });
  }

  // --- scanning ----------------------------------------------------------------------------------------------------

  function scan(code) {
    var parsed = check.parseScan(code);
    if (parsed.error) {
      current = null;
      message("error", check.text(parsed.message || parsed.error, catalog()));
      return Promise.resolve();
    }
    return findCard(parsed.number).then(function (found) {
      if (found.card) {
        current = { code: String(code).replace(/\s/g, "").toUpperCase(), parsed: parsed, card: found.card, source: found.source, fetchedAt: found.fetchedAt, outside: { state: null, sealsIntact: null }, target: null, truckProblem: null };
        return draw();
      }
      current = null;
      message("error", found.error || fill(words().notOnDevice, { number: parsed.number }));
    });
  }

  // The scan form: checked here, on the device (the server's page is the fallback without this script). The field
  // is emptied and focused again, ready for the next list.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.id === "gate-scan-form") {
      event.preventDefault();
      event.stopPropagation();
      var field = form.elements.namedItem("code");
      var code = field.value;
      scan(code).then(function () {
        field.value = "";
        field.focus();
      });
    } else if (form.id === "gate-truck-form") {
      event.preventDefault();
      event.stopPropagation();
      findTruckContainer(form.elements.namedItem("truck").value);
    }
  }, true);

  // A container read off the truck: checked against the card; when it is declared its row is marked and its
  // confirm button takes the focus, so the officer confirms with one more press.
  function findTruckContainer(raw) {
    if (!current || !current.card) return;
    var verdict = verdictOf(current.card, { containers: [raw] });
    var own = verdict.reasons.filter(function (r) { return /^container/.test(r.code); });
    var box = document.getElementById("gate-truck-result");
    var number = window.giamsatIso6346 ? window.giamsatIso6346.check(raw).number : String(raw).toUpperCase();
    if (own.length) {
      // Drawn again so that the report form carries this container and its reasons, and opens.
      current.target = null;
      current.truckProblem = { number: number, reasons: own };
      draw().then(function () {
        document.getElementById("gate-truck-result").replaceChildren(reasonList(own, "gate-truck-reasons"));
        var report = document.querySelector("details.report");
        if (report) report.open = true;
      });
      return;
    }
    current.truckProblem = null;
    current.target = number;
    draw().then(function () {
      var row = document.querySelector('tr[data-container="' + number + '"]');
      var button = row && row.querySelector(".confirm-form button[type=submit]");
      var say = document.getElementById("gate-truck-result");
      if (say) say.replaceChildren(h("p", { class: "message message-note", role: "status" }, [fill(words().truckOk, { number: number })]));
      if (button) button.focus();
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement || target instanceof HTMLSelectElement)) return;
    if (target.id === "gate-location") {
      try { localStorage.setItem(LOCATION_KEY, target.value); } catch (error) { /* not remembered */ }
      var page = root();
      if (page) page.dataset.locationId = target.value;
      draw();
    } else if (current && target.dataset.outside) {
      current.outside.state = target.dataset.outside;
      draw();
    } else if (current && target.id === "gate-seals-intact") {
      current.outside.sealsIntact = target.checked;
      draw();
    }
  });

  // The queue's word on a form of this page: applied or queued, the page redraws from what it now knows (a reload
  // offline could not show it); refused, queue-client.js says why in the form and keeps what was typed.
  document.addEventListener("giamsat:outcome", function (event) {
    var form = event.target;
    var detail = event.detail || {};
    if (!(form instanceof HTMLFormElement) || !form.closest("#gate-result")) return;
    if (detail.outcome.status !== "applied" && detail.outcome.status !== "queued") return;
    event.preventDefault();
    if (detail.outcome.status === "applied" && detail.envelope && (detail.envelope.type === CONFIRM || detail.envelope.type === CANCEL)) {
      applied.push({ envelope: detail.envelope });
    }
    if (current) current.target = null;
    var said = document.getElementById("queue-strings");
    var note = said ? (detail.outcome.status === "applied" ? said.dataset.saved : said.dataset.queued) : "";
    draw().then(function () {
      var section = result().querySelector(".gate-result");
      if (section && note) section.prepend(h("p", { class: "message message-note", role: "status", id: "gate-outcome" }, [note]));
      var field = document.getElementById("gate-code");
      if (field) field.focus();
    });
    if (detail.outcome.status === "applied" && window.giamsatReplica) window.giamsatReplica.refresh({ force: true });
  });

  // The location chosen last time on this device, unless the address names one.
  function start() {
    var select = document.getElementById("gate-location");
    if (!select) return;
    var remembered = null;
    try { remembered = localStorage.getItem(LOCATION_KEY); } catch (error) { remembered = null; }
    var named = /[?&]location=/.test(window.location.search);
    if (!named && remembered && Array.prototype.some.call(select.options, function (option) { return option.value === remembered; })) {
      select.value = remembered;
    }
    // A code in the address (a reload, a link): the device's own check replaces the server's view.
    var code = new URLSearchParams(window.location.search).get("code");
    if (code) scan(code);
  }
  document.addEventListener("htmx:load", function (event) { if (event.target && event.target.querySelector && event.target.querySelector("[data-gate-page]")) start(); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.giamsatGatePage = { scan: scan, draw: draw };
})();
