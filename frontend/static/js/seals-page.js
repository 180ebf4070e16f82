// giamsat seals pages (frontend/templates/seals/, docs/seals.md "Pages"): the sealing page, the handover record
// form with photos and a drawn signature, and the receiving page that checks a record's QR on the device, offline.
// Flat command forms (`form[data-command]`) go through queue-client.js like every page's. The forms whose payload
// holds lists of objects (a record's containers and goods, a receipt's containers) say `data-seals-command`
// instead: serialize.js makes flat payloads only, so this script builds the envelope, signs it when its type is
// signed (signing.js), queues it with its files (photos, the signature PNG) and sends it, online or offline.
// Needs /sw/store.js, /sw/serialize.js, /sw/queue.js; record-verify.js for the receiving page.
(function () {
  "use strict";

  var store = window.giamsatStore;

  function words() {
    var element = document.getElementById("seals-strings");
    return element ? element.dataset : {};
  }
  var fill = window.giamsatDom.fill;
  var meta = window.giamsatDom.meta;
  var h = window.giamsatDom.h;
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (byte) { return (byte < 16 ? "0" : "") + byte.toString(16); }).join("");
  }

  // --- lists of objects in a form ----------------------------------------------------------------------------------

  // A [data-key] control's value, typed as serialize.js types a form's named controls (data-type int, number,
  // bool); text is trimmed.
  function valueOf(control) {
    var serialize = window.giamsatSerialize;
    var type = control.dataset.type;
    if (type === "bool" && control.type === "checkbox") return control.checked;
    var text = String(control.value || "").trim();
    if (type === "bool") return serialize.toBool(text);
    if (type === "number") return serialize.toNumber(text);
    if (type === "int") return serialize.toInt(text);
    return text;
  }

  // Each [data-group] is a list named by it; each [data-item] in it an object of its [data-key] controls. An item
  // whose text fields are all empty, or whose [data-include] box is not ticked, is left out.
  function groups(form) {
    var out = {};
    form.querySelectorAll("[data-group]").forEach(function (group) {
      var items = [];
      group.querySelectorAll("[data-item]").forEach(function (item) {
        var include = item.querySelector("[data-include]");
        if (include && !include.checked) return;
        var object = {};
        var filled = false;
        item.querySelectorAll("[data-key]").forEach(function (control) {
          var value = valueOf(control);
          if (value === null) return;
          if (typeof value === "string" && value !== "" && control.type !== "hidden") filled = true;
          if (typeof value === "number") filled = true;
          object[control.dataset.key] = value;
        });
        if (filled || include) items.push(object);
      });
      out[group.dataset.group] = items;
    });
    return out;
  }

  // --- the drawn signature -----------------------------------------------------------------------------------------

  function pad(canvas) {
    if (canvas.dataset.ready) return;
    canvas.dataset.ready = "1";
    var context = canvas.getContext("2d");
    var last = null;
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: (event.clientX - box.left) * canvas.width / box.width, y: (event.clientY - box.top) * canvas.height / box.height };
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      last = point(event);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!last) return;
      event.preventDefault();
      var next = point(event);
      context.lineWidth = 3;
      context.lineCap = "round";
      context.strokeStyle = "#000";
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
      canvas.dataset.drawn = "1";
    });
    function end() { last = null; }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
  }

  function clearPad(canvas) {
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    delete canvas.dataset.drawn;
  }

  // The drawn signature as a PNG in the device's file store (as photos.js keeps photos), by its SHA-256; null
  // when nothing was drawn.
  function storeSignature(form) {
    var canvas = form.querySelector("canvas[data-signature-for]");
    if (!canvas || !canvas.dataset.drawn || !store) return Promise.resolve(null);
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("the canvas gave no PNG")); }, "image/png");
    }).then(function (blob) { return blob.arrayBuffer(); }).then(function (bytes) {
      return crypto.subtle.digest("SHA-256", bytes).then(function (digest) {
        var record = { sha256: hex(digest), type: "image/png", bytes: bytes, size: bytes.byteLength, created_at: new Date().toISOString(), uploaded: false };
        return store.getFile(record.sha256).then(function (existing) {
          return existing ? existing : store.putFile(record).then(function () { return record; });
        });
      });
    }).then(function (record) { return record.sha256; });
  }

  // --- sending a form with lists --------------------------------------------------------------------------------------

  // The form's outcome: "<form>-error" (role=alert) or "<form>-status" (role=status) above it.
  function boxId(form, kind) { return form.id.replace(/-form$/, "") + (kind === "error" ? "-error" : "-status"); }
  function say(form, kind, text) {
    var id = boxId(form, kind);
    var element = document.getElementById(id);
    if (!element) {
      element = h("p", { id: id, class: "message " + (kind === "error" ? "message-error" : "message-note"), role: kind === "error" ? "alert" : "status" });
      form.parentNode.insertBefore(element, form);
    }
    var other = document.getElementById(boxId(form, kind === "error" ? "note" : "error"));
    if (other) other.hidden = true;
    element.textContent = text;
    element.hidden = false;
  }

  function send(form) {
    var queue = window.giamsatQueue;
    var serialize = window.giamsatSerialize;
    var officer = meta("officer-code");
    var photos = window.giamsatPhotos ? window.giamsatPhotos.ready(form) : Promise.resolve([]);
    say(form, "note", words().sending || "");
    return Promise.all([photos, storeSignature(form)]).then(function (values) {
      var payload = Object.assign(serialize.payloadFromForm(form), groups(form));
      if (Array.isArray(payload.photos) === false && form.querySelector("#photo-list")) payload.photos = [];
      var signature = values[1];
      if (signature) {
        // The signature travels as one of the record's files (uploaded before the command); the record says which.
        payload.representative_signature = signature;
        payload.photos = (payload.photos || []).concat([signature]);
      }
      var envelope = {
        id: crypto.randomUUID(),
        type: form.dataset.sealsCommand,
        issued_at: new Date().toISOString(),
        device_id: window.giamsat && window.giamsat.deviceId ? window.giamsat.deviceId() : "web",
        payload: payload,
        offline: !navigator.onLine,
        signature: null,
      };
      var signing = window.giamsatSigning;
      return signing && signing.isSigned(envelope.type) ? signing.sign(envelope, officer) : envelope;
    }).then(function (envelope) {
      var files = Array.isArray(envelope.payload.photos) ? envelope.payload.photos : [];
      return queue.enqueue(envelope, officer, files).then(function () { return window.giamsat.answerFor(envelope.id); }).then(function (outcome) {
        form.dispatchEvent(new CustomEvent("giamsat:seals-outcome", { bubbles: true, detail: { outcome: outcome, envelope: envelope } }));
        if (outcome.status === "applied") {
          window.location.reload();
        } else if (outcome.status === "rejected") {
          say(form, "error", outcome.reason || words().refused || "");
          return store.dismissRejected(envelope.id);
        } else {
          form.reset();
          form.querySelectorAll("canvas[data-signature-for]").forEach(clearPad);
          say(form, "note", words().queued || "");
          return markQueued();
        }
      });
    }, function (error) {
      say(form, "error", (error && error.userMessage) || String(error && error.message || error));
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.sealsCommand || !store || !window.giamsatQueue) return;
    if (!meta("officer-code")) return;
    event.preventDefault();
    event.stopPropagation();
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    send(form).then(function () { delete form.dataset.busy; });
  }, true);

  // --- the receiving page: a record's QR checked on the device -------------------------------------------------------

  function recordArticle(id, serial) {
    var found = null;
    document.querySelectorAll("#receive-records [data-record-id]").forEach(function (article) {
      if ((id !== null && article.dataset.recordId === String(id)) || (serial && article.dataset.serial.toUpperCase() === serial.toUpperCase())) found = article;
    });
    return found;
  }

  function show(article) {
    document.querySelectorAll("#receive-records [data-record-id]").forEach(function (other) { other.classList.toggle("is-target", other === article); });
    article.scrollIntoView({ block: "start" });
    var first = article.querySelector("input:not([type=hidden]), textarea");
    if (first) first.focus();
  }

  function fieldsList(fields) {
    var w = words();
    var items = [h("li", {}, [fill(w.record, { serial: fields.serial, number: fields.declaration, from: fields.from_branch, to: fields.to_branch })])];
    (fields.containers || []).forEach(function (container) {
      items.push(h("li", { "data-container": container.number }, [container.number + ": " + (container.seals || []).join(", ")]));
    });
    if (fields.goods) items.push(h("li", {}, [fields.goods]));
    return h("ul", { class: "receive-fields", id: "receive-fields" }, items);
  }

  function verdictBox(status, fields) {
    var w = words();
    var text = { genuine: w.genuine, altered: w.altered, unknown_signer: w.unknownSigner }[status] || w.unreadable;
    var box = document.getElementById("receive-verdict");
    var children = [h("p", { id: "receive-status", "data-status": status, class: "verdict " + (status === "genuine" ? "verdict-pass" : "verdict-stop"), role: status === "genuine" ? "status" : "alert" }, [text])];
    if (fields) children.push(fieldsList(fields));
    box.replaceChildren.apply(box, children);
    return box;
  }

  // A record the device holds (the handover_records replica) that this page, opened earlier, does not list: its
  // receipt form is made here, as the server would have drawn it.
  function fromReplica(id, serial) {
    if (!store) return Promise.resolve(null);
    var officer = meta("officer-code");
    return store.get("replica", "handover_records").then(function (record) {
      if (!record || (record.officer_code && record.officer_code !== officer)) return null;
      var item = (record.items || []).find(function (candidate) {
        return (id !== null && String(candidate.id) === String(id)) || (serial && String(candidate.serial).toUpperCase() === serial.toUpperCase());
      });
      return item ? receiptArticle(item) : null;
    }).catch(function () { return null; });
  }

  function receiptArticle(item) {
    var w = words();
    var list = document.getElementById("receive-records");
    var location = document.querySelector('#receive-records input[name="location_id"], #paper-record-form input[name="location_id"]');
    var children = [h("h3", {}, [item.serial + " · " + item.state_label])];
    children.push(h("p", {}, [fill(w.record, { serial: item.serial, number: item.declaration_number, from: item.from_branch_code || item.from_branch_name, to: item.to_branch_code })]));
    if (item.state === "handed_over" && location) {
      var form = h("form", { method: "post", action: "/seals/receive", "data-seals-command": "seals.receive_record", id: "receive-" + item.id + "-form", class: "receive-form", autocomplete: "off" });
      form.append(hidden("location_id", location.value, "int"), hidden("record_id", item.id, "int"));
      var group = h("div", { "data-group": "containers" }, (item.containers || []).map(function (container) {
        return h("div", { "data-item": true, class: "receive-container", "data-container": container.number }, [
          h("input", { type: "hidden", "data-key": "number", value: container.number }),
          h("input", { type: "hidden", "data-key": "kind", value: container.kind || "container" }),
          h("p", {}, [fill(w.recordedSeal, { number: container.number, seal: container.seal_number || "-" })]),
          h("label", {}, [w.sealFound + " ", h("input", { "data-key": "seal_number", maxlength: 40, required: true, autocapitalize: "characters", class: "scan-field", id: "receive-" + item.id + "-" + container.number })]),
          h("label", { class: "check" }, [h("input", { type: "checkbox", "data-key": "intact", "data-type": "bool", checked: true }), " " + w.sealIntact]),
        ]);
      }));
      form.append(group);
      if ((item.goods || []).length) {
        form.append(h("label", { class: "check" }, [h("input", { type: "checkbox", name: "goods_match", value: "true", "data-type": "bool", checked: true }), " " + w.goodsMatch]));
      }
      form.append(h("button", { type: "submit", class: "button button-primary" }, [w.confirmReceipt]));
      children.push(form);
    }
    var article = h("article", { class: "seals-record", "data-record-id": item.id, "data-serial": item.serial, "data-state": item.state, id: "record-" + item.id, "data-source": "device" }, children);
    if (list) list.prepend(article);
    return article;
  }

  function notHere() {
    var box = document.getElementById("receive-verdict");
    box.append(h("p", { class: "message message-error", id: "receive-not-here", role: "alert" }, [words().notHere]));
  }

  function check(code) {
    var text = String(code || "").trim();
    if (!text) return Promise.resolve();
    var verify = window.giamsatRecordVerify;
    if (/^GSR\d/i.test(text.replace(/\s/g, "")) && verify) {
      return verify.verifyOnDevice(text).then(function (verdict) {
        verdictBox(verdict.status, verdict.fields);
        if (verdict.status !== "genuine") return;
        return find(verdict.fields.record_id, verdict.fields.serial);
      });
    }
    document.getElementById("receive-verdict").replaceChildren();
    return find(/^\d+$/.test(text) ? Number(text) : null, text);
  }

  function find(id, serial) {
    var article = recordArticle(id, serial);
    if (article) { show(article); return Promise.resolve(); }
    return fromReplica(id, serial).then(function (made) { if (made) show(made); else notHere(); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "receive-scan-form") return;
    event.preventDefault();
    event.stopPropagation();
    var field = form.elements.namedItem("code");
    check(field.value).then(function () { field.value = ""; });
  }, true);

  // --- the sealing page: what this device queued ---------------------------------------------------------------------

  // A seal number as the server keeps it (services.clean_seal_number): no spaces, upper case.
  function sealNumber(text) { return String(text || "").replace(/\s+/g, "").toUpperCase(); }

  // What this officer's queued commands make of each container's customs seal, replayed in queue order (the order
  // the server applies them in) over the seals the page was drawn with (each row's data-seal): a seal recorded or
  // replaced is the container's seal, a removal leaves it none. {container: {seal, removed}}, only the containers
  // a queued command touched.
  function queuedSeals(page, entries, officer) {
    var seals = {};
    function current(container) {
      if (seals[container]) return seals[container].seal;
      var row = page.querySelector('tr[data-container="' + container + '"]');
      return row ? row.dataset.seal || "" : "";
    }
    entries.slice().sort(function (a, b) { return a.seq - b.seq; }).forEach(function (entry) {
      var envelope = entry.envelope || {};
      var payload = envelope.payload;
      if (entry.officer_code !== officer || !payload || payload.number !== page.dataset.number) return;
      if (envelope.type === "seals.record_seal" && (payload.unit_kind || "container") === "container") {
        seals[String(payload.unit).replace(/\s+/g, "").toUpperCase()] = { seal: sealNumber(payload.seal_number), removed: "" };
      } else if (envelope.type === "seals.remove_seal") {
        var gone = sealNumber(payload.seal_number);
        page.querySelectorAll("tr[data-container]").forEach(function (row) {
          if (current(row.dataset.container) === gone) seals[row.dataset.container] = { seal: "", removed: gone };
        });
      }
    });
    return seals;
  }

  // The record form's seal of a container follows what the device knows, unless the officer typed another one:
  // a record lists the seal on each container when the server applies it (docs/seals.md), so seal A then seal B
  // recorded offline make it list B. The new value is also the field's default, so the form's reset keeps it.
  function prefill(field, seal) {
    if (field.value === field.defaultValue) field.value = seal;
    field.defaultValue = seal;
  }

  // A container sealed on this device (not sent yet) takes its next seal as a replacement, as the page offers it
  // for a seal the server holds: sent in order, the replacement is then applied as one, not as a conflict.
  function offerReplace(row) {
    var form = row.querySelector('form[data-command="seals.record_seal"]');
    if (!form || form.querySelector('[name="replace"]')) return;
    var box = h("label", { class: "check" }, [h("input", { type: "checkbox", name: "replace", value: "true", "data-type": "bool" }), " " + words().replace]);
    form.querySelector('button[type="submit"]').before(box);
  }

  // Seals recorded (or removed) on this device and not sent yet: shown on their container's row, so an officer
  // offline sees what is done, and pre-filled in the record form. The server's word replaces it once sent (the
  // page is drawn by the server).
  function markQueued() {
    var page = document.getElementById("seals-declaration");
    if (!page || !store) return Promise.resolve();
    var officer = meta("officer-code");
    // The officer's own entries only (the store's officer index), in queue order.
    return store.queueHead(officer).then(function (entries) {
      queuedRecords(page, entries, officer);
      var seals = queuedSeals(page, entries, officer);
      Object.keys(seals).forEach(function (container) {
        var known = seals[container];
        var row = page.querySelector('tr[data-container="' + container + '"]');
        if (row) {
          row.dataset.queued = known.seal;
          if (known.removed) row.dataset.queuedRemoved = known.removed;
          else delete row.dataset.queuedRemoved;
          var state = row.querySelector(".seal-state");
          if (state) state.textContent = fill(known.seal ? words().queuedSeal : words().queuedRemoval, { seal: known.seal || known.removed });
          if (known.seal) offerReplace(row);
        }
        var field = document.querySelector('[data-container-seal="' + container + '"]');
        if (field) prefill(field, known.seal);
      });
    }).catch(function () { /* the server's view stays */ });
  }

  function hidden(name, value, type) {
    return h("input", { type: "hidden", name: name, value: value === null || value === undefined ? "" : value, "data-type": type || null });
  }

  // A flat command form as the templates write them; queue-client.js queues, signs and sends it.
  function commandForm(type, id, fields, controls, label) {
    var form = h("form", { method: "post", action: "/seals", "data-command": type, id: id });
    form.append(hidden("_csrf_token", meta("csrf-token")), hidden("command_id", ""), hidden("issued_at", ""), hidden("device_id", ""));
    fields.forEach(function (field) { form.append(hidden(field[0], field[1], field[2])); });
    (controls || []).forEach(function (control) { form.append(control); });
    form.append(h("button", { type: "submit", class: "button button-primary" }, [label]));
    return form;
  }

  // Records made on this device and not sent yet: their next step (sign, then hand over) by the id of the command
  // that made them, queued after it, so the server applies them in that order.
  function queuedRecords(page, entries, officer) {
    var box = document.getElementById("seals-queued-records");
    if (!box) return;
    var w = words();
    var location = page.querySelector('input[name="location_id"]');
    var mine = entries.filter(function (entry) { return entry.officer_code === officer && entry.envelope && entry.envelope.payload; });
    var later = {};
    mine.forEach(function (entry) {
      var envelope = entry.envelope;
      if ((envelope.type === "seals.sign_record" || envelope.type === "seals.hand_over") && envelope.payload.record_command) {
        later[envelope.payload.record_command + envelope.type] = true;
      }
    });
    var articles = mine.filter(function (entry) {
      return entry.envelope.type === "seals.create_record" && entry.envelope.payload.number === page.dataset.number;
    }).map(function (entry) {
      var envelope = entry.envelope;
      var short = envelope.id.slice(0, 8);
      var signed = later[envelope.id + "seals.sign_record"];
      var handed = later[envelope.id + "seals.hand_over"];
      var fields = [["location_id", location ? location.value : "", "int"], ["record_command", envelope.id]];
      var children = [h("h3", {}, [w.madeHere])];
      var goods = (envelope.payload.goods || []).map(function (line) { return line.name + ", " + line.quantity + " " + line.unit; });
      var containers = (envelope.payload.containers || []).map(function (c) { return c.number + (c.seal_number ? " → " + c.seal_number : ""); });
      if (containers.length || goods.length) children.push(h("p", {}, [containers.concat(goods).join(" · ")]));
      if (!signed) {
        var nameId = "sign-q" + short + "-name";
        children.push(commandForm("seals.sign_record", "sign-q" + short + "-form", fields, [
          h("label", { for: nameId }, [w.representative]),
          h("input", { id: nameId, name: "representative_name", maxlength: 200, required: true, value: envelope.payload.representative_name || "" }),
        ], w.sign));
      } else if (!handed) {
        children.push(h("p", { class: "hint" }, [w.signedHere]));
        children.push(commandForm("seals.hand_over", "handover-q" + short + "-form", fields, [], w.handOver));
      } else {
        children.push(h("p", { class: "hint" }, [w.handedHere]));
      }
      return h("article", { class: "seals-record", "data-queued-record": envelope.id, "data-state": handed ? "handed_over" : (signed ? "signed" : "draft") }, children);
    });
    box.replaceChildren.apply(box, articles);
  }

  document.addEventListener("giamsat:outcome", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.closest("#seals-declaration, #seals-records")) return;
    if (event.detail && event.detail.outcome && event.detail.outcome.status === "queued") setTimeout(markQueued, 0);
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var clear = target.closest("[data-clear-signature]");
    if (clear) {
      var canvas = document.getElementById(clear.dataset.clearSignature);
      if (canvas) clearPad(canvas);
      return;
    }
    var add = target.closest("[data-add-line]");
    if (add) {
      var group = document.getElementById(add.dataset.addLine);
      var first = group && group.querySelector("[data-item]");
      if (!first) return;
      var copy = first.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { if (input.type !== "checkbox") input.value = ""; });
      group.append(copy);
      var field = copy.querySelector("input");
      if (field) field.focus();
    }
  });

  function start() {
    document.querySelectorAll("canvas[data-signature-for]").forEach(pad);
    markQueued();
  }
  document.addEventListener("htmx:load", start);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.giamsatSealsPage = { check: check, groups: groups };
})();
