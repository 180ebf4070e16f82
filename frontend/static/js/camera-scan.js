// giamsat camera reader (docs/barcodes.md, "Reading codes in the page"): the code on a list read with the phone's
// camera, live in the page, or from a photo; its text goes into the scan form's `code` field and the form is
// submitted, as a handheld scanner types a code and presses Enter. The readers, in order: the browser's own
// BarcodeDetector where it reads QR and Code 128 (Chrome on Android), else the vendored ZXing-wasm polyfill,
// loaded only when first needed (1.1 MB of wasm; the service worker keeps it for offline use). A photo that
// nothing in the page could read is sent to the server (POST /api/v1/barcodes/decode), which tries harder
// (turned retries, a second decoder).
// Markup: frontend/templates/gate/_camera.html, whose [data-camera-strings] holds the words (no catalog in JS).
(function () {
  "use strict";

  var FORMATS = ["qr_code", "code_128"];
  var POLYFILL_URL = "/static/vendor/barcode-detector-3.2.2.min.js";
  var WASM_URL = "/static/vendor/zxing-wasm-3.1.3-reader.wasm";
  var DECODE_URL = "/api/v1/barcodes/decode";
  var FRAME_PAUSE_MS = 120; // between two reads of the video: quick to the eye, and the phone stays cool

  var readerPromise = null; // resolves to {kind: "native" | "polyfill", detector}
  var session = null; // the open camera
  var lastPath = null; // how the last code was read: "native", "polyfill" or "server" (for tests and support)

  // --- the reader ------------------------------------------------------------------------------------------------

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () {
        script.remove();
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(script);
    });
  }

  function nativeReads() {
    var Native = window.BarcodeDetector;
    if (typeof Native !== "function" || typeof Native.getSupportedFormats !== "function") return Promise.resolve(false);
    return Native.getSupportedFormats().then(function (formats) {
      return FORMATS.every(function (format) { return formats.indexOf(format) !== -1; });
    }, function () { return false; });
  }

  function polyfill() {
    var loaded = window.BarcodeDetectionAPI ? Promise.resolve() : loadScript(POLYFILL_URL);
    return loaded.then(function () {
      var api = window.BarcodeDetectionAPI;
      // The wasm from our own server, never the package's default CDN; fetched and compiled now, so that a
      // failure shows when the reader starts rather than at the first frame.
      return api.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? WASM_URL : prefix + path; },
        },
        fireImmediately: true,
      }).then(function () {
        return { kind: "polyfill", detector: new api.BarcodeDetector({ formats: FORMATS }) };
      });
    });
  }

  function reader() {
    if (!readerPromise) {
      readerPromise = nativeReads().then(function (native) {
        return native ? { kind: "native", detector: new window.BarcodeDetector({ formats: FORMATS }) } : polyfill();
      });
      readerPromise.catch(function () { readerPromise = null; }); // a later try may work (the network is back)
    }
    return readerPromise;
  }

  function texts(codes) {
    var found = [];
    (codes || []).forEach(function (code) {
      if (code.rawValue && found.indexOf(code.rawValue) === -1) found.push(code.rawValue);
    });
    return found;
  }

  // A photo is decoded upright (EXIF orientation applied) before it is read.
  function bitmapOf(blob) {
    if (!window.createImageBitmap) return Promise.resolve(null);
    return createImageBitmap(blob, { imageOrientation: "from-image" }).catch(function (error) {
      if (error && error.name === "TypeError") return createImageBitmap(blob); // old Safari refuses the options
      throw error;
    });
  }

  // The texts of the codes in an image (a Blob, an ImageBitmap, a video or canvas), each once, in reading order.
  function decodeImage(source) {
    return reader().then(function (found) {
      if (!(source instanceof Blob)) return found.detector.detect(source).then(texts);
      return bitmapOf(source).then(function (bitmap) {
        return found.detector.detect(bitmap || source).then(function (codes) {
          if (bitmap) bitmap.close();
          return texts(codes);
        }, function (error) {
          if (bitmap) bitmap.close();
          throw error;
        });
      });
    });
  }

  // --- the page ----------------------------------------------------------------------------------------------------

  function boxOf(element) { return element.closest("[data-camera-reader]"); }
  function words(box) {
    var element = box && box.querySelector("[data-camera-strings]");
    return element ? element.dataset : {};
  }
  function part(box, name) { return box ? box.querySelector("[data-camera-" + name + "]") : null; }

  function say(box, kind, text) {
    var status = part(box, "status");
    var alert = part(box, "alert");
    if (status) {
      status.textContent = kind === "status" ? text : "";
      status.hidden = kind !== "status";
    }
    if (alert) {
      alert.textContent = kind === "alert" ? text : "";
      alert.hidden = kind !== "alert";
    }
  }

  // The reader of a form (its [data-camera-reader]); it names the field a code goes in (`data-camera-field`,
  // "code" by default).
  function readerBoxOf(formId) {
    var found = null;
    document.querySelectorAll("[data-camera-reader]").forEach(function (box) {
      if (box.dataset.cameraReader === formId) found = box;
    });
    return found;
  }

  function fieldOf(formId) {
    var form = document.getElementById(formId);
    var box = readerBoxOf(formId);
    var field = form && form.elements.namedItem((box && box.dataset.cameraField) || "code");
    return field && field.tagName ? field : null;
  }

  function submitCode(formId, text) {
    var form = document.getElementById(formId);
    var field = fieldOf(formId);
    if (!form || !field) return;
    field.value = text;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    // A form that records whether its code was read rather than typed (a seal number: `scanned`) is told so.
    var scanned = form.elements.namedItem("scanned");
    if (scanned && scanned.tagName && scanned.type === "hidden") scanned.value = "true";
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  }

  // --- the camera --------------------------------------------------------------------------------------------------

  function stopTracks(stream) {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
  }

  function closeCamera() {
    var current = session;
    if (!current) return;
    session = null;
    current.open = false;
    clearTimeout(current.timer);
    stopTracks(current.stream);
    current.video.pause();
    current.video.srcObject = null;
    current.overlay.hidden = true;
    document.documentElement.classList.remove("camera-open");
  }

  function cancelCamera() {
    var current = session;
    closeCamera();
    var field = current && fieldOf(current.formId);
    if (field) field.focus();
  }

  function scan(current, found) {
    function next() { current.timer = setTimeout(tick, FRAME_PAUSE_MS); }
    function tick() {
      if (!current.open) return;
      var video = current.video;
      if (video.readyState < 2 || !video.videoWidth) return next(); // no frame yet
      found.detector.detect(video).then(function (codes) {
        if (!current.open) return;
        var read = texts(codes);
        if (!read.length) return next();
        lastPath = found.kind;
        closeCamera();
        submitCode(current.formId, read[0]);
      }, function () {
        if (current.open) next();
      });
    }
    tick();
  }

  function openCamera(button) {
    var box = boxOf(button);
    if (!box || session) return;
    var said = words(box);
    say(box, null, "");
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
      say(box, "alert", said.unavailable); // an insecure page, or a browser without cameras
      return;
    }
    var current = {
      formId: button.dataset.cameraScan,
      overlay: part(box, "overlay"),
      video: part(box, "video"),
      hint: part(box, "hint"),
      stream: null,
      timer: null,
      open: true,
    };
    session = current;
    var pointAt = current.hint.textContent;
    current.hint.textContent = said.starting;
    current.overlay.hidden = false;
    document.documentElement.classList.add("camera-open");
    part(box, "cancel").focus();
    reader().catch(function () {}); // start loading the reader while the officer allows the camera
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      if (!current.open) return stopTracks(stream);
      current.stream = stream;
      current.video.srcObject = stream;
      return Promise.all([current.video.play(), reader()]).then(function (results) {
        if (!current.open) return;
        current.hint.textContent = pointAt;
        scan(current, results[1]);
      });
    }).catch(function (error) {
      if (!current.open) return;
      var name = error && error.name;
      var text;
      if (name === "NotAllowedError" || name === "SecurityError") text = said.denied;
      else if (!current.stream) text = said.unavailable; // no camera, or one another app holds
      else text = said.readerFailed;
      current.hint.textContent = pointAt;
      closeCamera();
      say(box, "alert", text);
      var field = fieldOf(current.formId);
      if (field) field.focus();
    });
  }

  // --- a photo -----------------------------------------------------------------------------------------------------

  function askServer(file, said, any) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return fetch(DECODE_URL, {
      method: "POST",
      body: file,
      credentials: "same-origin",
      headers: {
        "Content-Type": file.type || "application/octet-stream",
        "Accept": "application/json",
        "X-CSRF-Token": meta ? meta.content : "",
      },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        var codes = (response.ok && body.codes) || [];
        for (var i = 0; i < codes.length; i++) {
          if (!codes[i].error) return codes[i].text;
        }
        // A reader of other codes than giamsat's (a seal's number, `data-camera-any`) takes the text as read:
        // the server's word on it as a giamsat payload does not apply.
        if (any && codes.length && codes[0].text) return codes[0].text;
        // What the server said, in the officer's language: the code is forged, of another format, the file
        // is no photo, nothing could be read...
        var error = codes.length ? codes[0].error : body;
        throw new Error((!any && error && error.message) || said.noCode);
      });
    }, function () {
      throw new Error(said.offline);
    });
  }

  function readPhoto(input) {
    var file = input.files && input.files[0];
    var box = boxOf(input);
    if (!file || !box) return;
    var said = words(box);
    var formId = input.dataset.photoScan;
    say(box, "status", said.readingPhoto);
    var inPage = reader().then(function (found) {
      return decodeImage(file).then(function (read) { return { kind: found.kind, read: read }; });
    }).catch(function () { return { kind: null, read: [] }; }); // no reader here, or no picture the page can open
    inPage.then(function (result) {
      if (result.read.length) {
        lastPath = result.kind;
        return result.read[0];
      }
      return askServer(file, said, box.hasAttribute("data-camera-any")).then(function (text) {
        lastPath = "server";
        return text;
      });
    }).then(function (text) {
      input.value = ""; // the same photo chosen again is a change again
      say(box, null, "");
      submitCode(formId, text);
    }, function (error) {
      input.value = "";
      say(box, "alert", (error && error.message) || said.noCode);
    });
  }

  // --- wiring --------------------------------------------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var button = target.closest("[data-camera-scan]");
    if (button) {
      event.preventDefault();
      openCamera(button);
      return;
    }
    if (target.closest("[data-camera-cancel]")) cancelCamera();
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.matches("[data-photo-scan]")) readPhoto(target);
  });
  document.addEventListener("keydown", function (event) {
    if (session && event.key === "Escape") cancelCamera();
  });
  // Never leave the camera on behind the officer's back: another page, a history restore, the app hidden.
  document.addEventListener("visibilitychange", function () { if (document.hidden) closeCamera(); });
  window.addEventListener("pagehide", closeCamera);
  document.addEventListener("htmx:beforeHistorySave", closeCamera);
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (session && event.detail && event.detail.target === document.body) closeCamera();
  });

  window.giamsatCamera = {
    decodeImage: decodeImage,
    reader: function () { return reader().then(function (found) { return found.kind; }); },
    lastPath: function () { return lastPath; },
    close: closeCamera,
  };
})();
