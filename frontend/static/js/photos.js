// giamsat photos (docs/offline.md §3): a photo the officer picks or takes is downscaled on the device, named by
// the SHA-256 of its bytes and kept in the `files` store; the form then carries its id in a hidden
// `<input name="photos" data-type="list">`, which is how queue-client.js knows to upload it before the command.
// Needs /sw/store.js. Words come from #photo-strings (base.html): there is no catalog in JavaScript.
(function () {
  "use strict";

  var store = window.giamsatStore;
  if (!store || !window.indexedDB || !window.crypto || !crypto.subtle) return;

  var MAX_SIDE = 1600; // the server's display copy is no larger: more pixels would only cost upload time
  var QUALITY = 0.85;
  var TYPE = "image/jpeg";
  var DEFAULT_MAX = 10; // logbook MAX_PHOTOS; a list may say otherwise with data-max
  var SWEEP_AFTER_MS = 24 * 60 * 60 * 1000;
  var PICKER = 'input[type="file"]#photo-picker, input[type="file"][data-photo-list]';

  // What this page has shown, by sha256: the bytes stay in memory while the photo is in a form, so a photo can
  // be stored again if the store lost it meanwhile (a refused entry's files are dropped with it, while the
  // form keeps the photos for the officer to send again).
  var shown = new Map();
  var work = new WeakMap(); // list element -> promise of the photos being prepared for it

  function strings() {
    var element = document.getElementById("photo-strings");
    return element ? element.dataset : {};
  }
  var fill = window.giamsatDom.fill;

  function listFor(picker) {
    if (picker.dataset.photoList) return document.getElementById(picker.dataset.photoList);
    var scope = picker.form || document;
    return scope.querySelector("#photo-list") || scope.querySelector("[data-field]");
  }
  function fieldName(list) { return list.dataset.field || "photos"; }
  function idsIn(list) {
    return Array.prototype.map.call(list.querySelectorAll('input[type="hidden"][name="' + fieldName(list) + '"]'), function (input) { return input.value; });
  }

  // --- downscale, hash, store ------------------------------------------------------------------------------------

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (byte) { return (byte < 16 ? "0" : "") + byte.toString(16); }).join("");
  }

  // Decoded with the EXIF orientation applied: the device's copy has no EXIF left, so a photo taken upright
  // must be drawn upright now.
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function (error) {
        // Old Safari refuses the options argument (a TypeError); an undecodable file is not a TypeError.
        if (error && error.name === "TypeError") return decodeWithImage(file);
        throw error;
      });
    }
    return decodeWithImage(file);
  }

  // An <img> applies the EXIF orientation by itself (CSS image-orientation: from-image is the default).
  function decodeWithImage(file) {
    var url = URL.createObjectURL(file);
    var image = new Image();
    image.src = url;
    return image.decode().then(function () {
      return { image: image, width: image.naturalWidth, height: image.naturalHeight, close: function () { URL.revokeObjectURL(url); } };
    }, function (error) {
      URL.revokeObjectURL(url);
      throw error;
    });
  }

  function encode(source, width, height) {
    var canvas;
    if (window.OffscreenCanvas) {
      canvas = new OffscreenCanvas(width, height);
    } else {
      canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
    }
    var context = canvas.getContext("2d");
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = "high";
    // JPEG has no transparency: a transparent PNG would turn black without a background.
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    context.drawImage(source, 0, 0, width, height);
    if (canvas.convertToBlob) return canvas.convertToBlob({ type: TYPE, quality: QUALITY });
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("the canvas gave no JPEG")); }, TYPE, QUALITY);
    });
  }

  // A picked file as a stored record {sha256, type, bytes, size, created_at, uploaded}. Rejects with
  // error.photo = "not_image" | "unreadable".
  function prepare(file) {
    if (file.type && file.type.indexOf("image/") !== 0) return Promise.reject(refusal("not_image"));
    return decode(file).catch(function () { throw refusal("unreadable"); }).then(function (decoded) {
      var width = decoded.width, height = decoded.height;
      if (!width || !height) { decoded.close(); throw refusal("unreadable"); }
      var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
      var size = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
      return encode(decoded.image || decoded, size.width, size.height).then(function (blob) {
        decoded.close();
        return blob.arrayBuffer();
      }, function (error) {
        decoded.close();
        throw error;
      });
    }).then(function (bytes) {
      return crypto.subtle.digest("SHA-256", bytes).then(function (digest) {
        var record = { sha256: hex(digest), type: TYPE, bytes: bytes, size: bytes.byteLength, created_at: new Date().toISOString(), uploaded: false };
        // The same photo picked again: the stored copy (perhaps already uploaded) is the same bytes.
        return store.getFile(record.sha256).then(function (existing) {
          if (existing) return existing;
          return store.putFile(record).then(function () { return record; });
        });
      });
    });
  }

  function refusal(code) {
    var error = new Error("photo refused: " + code);
    error.photo = code;
    return error;
  }

  // --- the list in the form ----------------------------------------------------------------------------------------

  // A line of text under the list (made on first use): `marker` names it, `classes` style it.
  function lineUnder(list, marker, classes, role) {
    var element = list.parentNode.querySelector("." + marker + '[data-for="' + list.id + '"]');
    if (!element) {
      element = document.createElement("p");
      element.className = classes + " " + marker;
      element.setAttribute("role", role);
      element.dataset.for = list.id;
      element.hidden = true;
      list.parentNode.insertBefore(element, list.nextSibling);
    }
    return element;
  }
  function message(list) { return lineUnder(list, "photo-message", "message message-error", "alert"); }
  function status(list) { return lineUnder(list, "photo-status", "", "status"); }

  function addItem(list, record) {
    var words = strings();
    var count = list.querySelectorAll(".photo-item").length + 1;
    var item = document.createElement("div");
    item.className = "photo-item";
    item.dataset.sha256 = record.sha256;
    var image = document.createElement("img");
    image.className = "photo-thumb";
    image.src = URL.createObjectURL(new Blob([record.bytes], { type: record.type }));
    image.alt = fill(words.alt, { number: count });
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button-small button-secondary photo-remove";
    remove.textContent = words.remove || "×";
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = fieldName(list);
    input.dataset.type = "list";
    input.value = record.sha256;
    item.append(image, remove, input);
    list.classList.add("photo-list");
    list.appendChild(item);
    shown.set(record.sha256, record);
  }

  function dropItem(item) {
    var image = item.querySelector("img");
    if (image) URL.revokeObjectURL(image.src);
    item.remove();
    if (!document.querySelector('.photo-item[data-sha256="' + item.dataset.sha256 + '"]')) shown.delete(item.dataset.sha256);
  }

  // Files no queued or refused entry and no form on this page refers to: the officer took them back.
  function forget(shas) {
    if (!shas.length) return Promise.resolve();
    return Promise.all([store.queueEntries(), store.all("rejected")]).then(function (values) {
      var used = {};
      values[0].concat(values[1]).forEach(function (entry) { (entry.files || []).forEach(function (sha) { used[sha] = true; }); });
      document.querySelectorAll(".photo-item").forEach(function (item) { used[item.dataset.sha256] = true; });
      return Promise.all(shas.filter(function (sha) { return !used[sha]; }).map(function (sha) {
        shown.delete(sha);
        return store.remove("files", sha);
      }));
    });
  }

  function setBusy(list, busy) {
    list.setAttribute("aria-busy", busy ? "true" : "false");
    var note = status(list);
    note.textContent = busy ? strings().preparing || "" : "";
    note.hidden = !busy;
    var form = list.closest("form");
    if (!form) return;
    // A submit while photos are being prepared would leave them out of the command.
    form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]').forEach(function (button) {
      if (busy) {
        if (!button.disabled) { button.disabled = true; button.dataset.photosBusy = "1"; }
      } else if (button.dataset.photosBusy) {
        button.disabled = false;
        delete button.dataset.photosBusy;
      }
    });
  }

  // One photo at a time: a phone holding several decoded 12-megapixel photos at once runs out of memory.
  function addFiles(list, files) {
    var words = strings();
    var max = parseInt(list.dataset.max, 10) || DEFAULT_MAX;
    var problems = [];
    var full = false;
    var box = message(list);
    box.hidden = true;
    setBusy(list, true);
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () {
        if (idsIn(list).length >= max) {
          if (!full) problems.push(fill(words.tooMany, { count: max }));
          full = true;
          return null;
        }
        return prepare(file).then(function (record) {
          if (idsIn(list).indexOf(record.sha256) < 0) addItem(list, record);
        }, function (error) {
          console.warn("giamsat: photo not kept", file.name, error);
          var text = error.photo === "not_image" ? words.notImage : words.unreadable;
          problems.push(fill(text, { name: file.name }));
        });
      });
    });
    var done = chain.then(function () {
      setBusy(list, false);
      if (problems.length) {
        box.textContent = problems.join("\n");
        box.hidden = false;
      }
    });
    work.set(list, Promise.all([work.get(list), done]));
    return done;
  }

  function clear(form) {
    form.querySelectorAll(".photo-item").forEach(dropItem);
    form.querySelectorAll(".photo-message").forEach(function (element) { element.hidden = true; });
  }

  // Before a form's command is built: every photo being prepared is in the form, and every photo in the form is
  // in the store (stored again from memory if needed). Resolves with the form's photo ids.
  function ready(form) {
    var lists = Array.prototype.slice.call(form.querySelectorAll("#photo-list, [data-field]")).filter(function (list) {
      return list.querySelector(".photo-item") || work.has(list);
    });
    return Promise.all(lists.map(function (list) { return work.get(list) || null; })).then(function () {
      var ids = [];
      lists.forEach(function (list) { ids = ids.concat(idsIn(list)); });
      return Promise.all(ids.map(function (sha) {
        return store.getFile(sha).then(function (file) {
          if (!file && shown.has(sha)) {
            var record = shown.get(sha);
            record.uploaded = false;
            return store.putFile(record);
          }
          return null;
        });
      })).then(function () { return ids; });
    });
  }

  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (!(picker instanceof HTMLInputElement) || !picker.matches(PICKER) || !picker.files || !picker.files.length) return;
    var list = listFor(picker);
    if (!list) return;
    var files = Array.prototype.slice.call(picker.files);
    // The picker's own value is not data (the stored photos are): emptied, the same photo can be picked again.
    picker.value = "";
    addFiles(list, files);
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".photo-remove") : null;
    if (!button) return;
    var item = button.closest(".photo-item");
    if (!item) return;
    var sha = item.dataset.sha256;
    dropItem(item);
    forget([sha]).catch(function (error) { console.warn("giamsat: photo not forgotten", error); });
  });

  // queue-client.js resets the form once the command is queued; a reset button does the same.
  document.addEventListener("reset", function (event) {
    if (event.target instanceof HTMLFormElement) clear(event.target);
  }, true);

  // A photo picked and never sent (the page closed before the submit) stays in the store; once a day, drop such
  // files after a day, when no form can still be showing them.
  function sweep() {
    return store.getMeta("files_swept_at").then(function (last) {
      if (last && Date.now() - Date.parse(last) < SWEEP_AFTER_MS) return null;
      return store.setMeta("files_swept_at", new Date().toISOString()).then(function () { return store.all("files"); }).then(function (files) {
        var old = files.filter(function (file) { return Date.now() - Date.parse(file.created_at) > SWEEP_AFTER_MS; });
        return forget(old.map(function (file) { return file.sha256; }));
      });
    }).catch(function (error) { console.warn("giamsat: photo sweep failed", error); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", sweep);
  else sweep();

  window.giamsatPhotos = { MAX_SIDE: MAX_SIDE, prepare: prepare, ready: ready, clear: clear };
})();
