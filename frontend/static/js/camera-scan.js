// giamsat camera reader (docs/barcodes.md, "Reading codes in the page"): the code on a list read with the phone's
// camera, live in the page, or from a photo; its text goes into the scan form's `code` field and the form is
// submitted, as a handheld scanner types a code and presses Enter. The readers, in order: the browser's own
// BarcodeDetector where it reads QR and Code 128 (Chrome on Android), else the vendored ZXing-wasm reader (zxing-wasm
// called directly, below), loaded only when first needed (1.1 MB of wasm; the service worker keeps it for offline
// use). A photo that nothing in the page could read is sent to the server (POST /api/v1/barcodes/decode), which
// tries harder (turned retries, a second decoder).
// Issue 17: where the plain read finds no list code, a located crop is read too (the bars found, turned upright,
// rows averaged, widened, sharpened: what the server learnt), and the camera helps the officer: the torch and a
// zoom control where the camera has them, tap to focus, and "hold still" / "move closer" instead of silence.
// Markup: frontend/templates/gate/_camera.html, whose [data-camera-strings] holds the words (no catalog in JS).
(function () {
  "use strict";

  var FORMATS = ["qr_code", "code_128"]; // BarcodeDetector's names
  var ZXING_FORMATS = ["QRCode", "Code128"]; // the same, in zxing-wasm's names
  var ZXING_URL = "/static/vendor/zxing-wasm-3.1.3-reader.min.js";
  var WASM_URL = "/static/vendor/zxing-wasm-3.1.3-reader.wasm";
  var DECODE_URL = "/api/v1/barcodes/decode";
  var FRAME_PAUSE_MS = 120; // between two reads of the video: quick to the eye, and the phone stays cool
  var LOOK_MS = 300; // at most this often, a frame not read is looked at harder (located crop, advice)

  var readerPromise = null; // resolves to {kind: "native" | "wasm", detector}
  var session = null; // the open camera
  var lastPath = null; // how the last code was read: "native", "wasm" or "server" (for tests and support)

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

  function wasmReader() {
    var loaded = window.ZXingWASM ? Promise.resolve() : loadScript(ZXING_URL);
    return loaded.then(function () {
      var zxing = window.ZXingWASM;
      // The wasm from our own server, never the package's default CDN; fetched and compiled now, so that a
      // failure shows when the reader starts rather than at the first frame.
      return zxing.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? WASM_URL : prefix + path; },
        },
        fireImmediately: true,
      }).then(function () {
        return { kind: "wasm", detector: wasmDetector(zxing) };
      });
    });
  }

  function reader() {
    if (!readerPromise) {
      readerPromise = nativeReads().then(function (native) {
        return native ? { kind: "native", detector: new window.BarcodeDetector({ formats: FORMATS }) } : wasmReader();
      });
      readerPromise.catch(function () { readerPromise = null; }); // a later try may work (the network is back)
    }
    return readerPromise;
  }

  // zxing-wasm called directly, as a BarcodeDetector (`detect(image)` resolves to every code found, each with
  // `rawValue` and `boundingBox`), but cheaper where the answer allows (issue 17: through the barcode-detector
  // ponyfill, which asks ZXing for every code in the picture, up to 255, the page's median read missed the issue's
  // 30 ms; bench/decode.py --device). ZXing's harder modes are all on (tryHarder, tryRotate, tryInvert,
  // tryDownscale), as the ponyfill had them, but:
  // - the first read asks for ONE code: ZXing then stops at the first code it confirms instead of running every
  //   pass on every row (about half the time on the bench's photos, the same photos read);
  // - it binarizes the picture with one global threshold first (GlobalHistogram: about half the time again, as
  //   ZXing's QR search binarizes the whole picture before the 1D rows are looked at), then, if that found nothing,
  //   with the local one (LocalAverage: uneven light, glare), as the server tries its binarizers in turn.
  // What one code cannot tell is asked again:
  // - a list code in Code 128 is read again, every code, on its own area (a small picture: a few ms), so that a
  //   code read on two rows with two texts is still seen and dropped (texts(), below; the server's agreed() rule);
  //   a QR needs no second look (its Reed-Solomon check lets no misread through);
  // - a first code that is not a list code (a container's number, a seal's) may stand beside the list's: the picture
  //   is read again for every code, as the ponyfill did, and the list code comes first (offered(), below).
  var READ_ONE = {
    formats: ZXING_FORMATS, textMode: "Plain", tryHarder: true, tryRotate: true, tryInvert: true, tryDownscale: true,
    maxNumberOfSymbols: 1,
  };
  var READ_ONE_FAST = Object.assign({}, READ_ONE, { binarizer: "GlobalHistogram" });
  var READ_EVERY = Object.assign({}, READ_ONE, { maxNumberOfSymbols: 255 });
  var CHECK_MARGIN = 0.25; // the area read again: the code's box and a quarter of its length on each side

  function wasmDetector(zxing) {
    var canvas = null; // one canvas reused for every frame: a new one per read costs more than the copy
    function pixelsOf(source) {
      if (typeof ImageData !== "undefined" && source instanceof ImageData) return source;
      var size = sizeOf(source);
      if (!canvas) canvas = document.createElement("canvas");
      if (canvas.width !== size.width || canvas.height !== size.height) {
        canvas.width = size.width;
        canvas.height = size.height;
      }
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(source, 0, 0, size.width, size.height);
      return context.getImageData(0, 0, size.width, size.height);
    }
    function codesOf(results, dx, dy) {
      return results.filter(function (result) { return result.isValid && result.text; }).map(function (result) {
        var p = result.position;
        var xs = [p.topLeft.x, p.topRight.x, p.bottomLeft.x, p.bottomRight.x];
        var ys = [p.topLeft.y, p.topRight.y, p.bottomLeft.y, p.bottomRight.y];
        var x = Math.min.apply(null, xs);
        var y = Math.min.apply(null, ys);
        return {
          rawValue: result.text,
          format: result.format,
          boundingBox: { x: x + dx, y: y + dy, width: Math.max.apply(null, xs) - x, height: Math.max.apply(null, ys) - y },
        };
      });
    }
    function areaOf(pixels, box) {
      // A 1D code's box is the few rows it was read on, a thin line: the margin follows its length, so that the
      // area holds the code's whole height (and whatever was printed against it).
      var margin = Math.max(box.width, box.height) * CHECK_MARGIN + 8;
      var x0 = Math.max(0, Math.floor(box.x - margin));
      var y0 = Math.max(0, Math.floor(box.y - margin));
      var x1 = Math.min(pixels.width, Math.ceil(box.x + box.width + margin));
      var y1 = Math.min(pixels.height, Math.ceil(box.y + box.height + margin));
      if (x1 - x0 < 2 || y1 - y0 < 2) return null;
      var area = new ImageData(x1 - x0, y1 - y0);
      for (var row = y0; row < y1; row++) {
        area.data.set(pixels.data.subarray((row * pixels.width + x0) * 4, (row * pixels.width + x1) * 4), (row - y0) * area.width * 4);
      }
      return { pixels: area, x: x0, y: y0 };
    }
    function detect(source) {
      var pixels = pixelsOf(source);
      return zxing.readBarcodes(pixels, READ_ONE_FAST).then(function (results) {
        return results.some(function (result) { return result.isValid; }) ? results : zxing.readBarcodes(pixels, READ_ONE);
      }).then(function (results) {
        var codes = codesOf(results, 0, 0);
        var first = codes[0];
        if (!first) return codes;
        if (!plausible(first.rawValue)) {
          return zxing.readBarcodes(pixels, READ_EVERY).then(function (every) { return codesOf(every, 0, 0); });
        }
        if (first.format !== "Code128") return codes;
        var area = areaOf(pixels, first.boundingBox);
        if (!area) return codes;
        return zxing.readBarcodes(area.pixels, READ_EVERY).then(function (again) {
          return codes.concat(codesOf(again, area.x, area.y));
        });
      });
    }
    return { detect: detect };
  }

  // The texts read, each once, without those contradicted by another text read at the same place (boxes within
  // 8 px): one code read on two rows with two texts is a misread at least once, and which cannot be told (Code 128's
  // check character lets about one misread in 103 through). The server's decode.agreed() rule (issue 17): the
  // bench met one on the device too, a code of 102535246649 read also as 102502236649; neither is offered, and the
  // located crop reads the code again. A wrong declaration number would open another declaration (Art 35.2.c).
  function overlap(a, b) {
    if (!a || !b) return false;
    return a.x - 8 <= b.x + b.width && b.x - 8 <= a.x + a.width && a.y - 8 <= b.y + b.height && b.y - 8 <= a.y + a.height;
  }
  function texts(codes, every) { // every: no texts dropped (the reader before issue 17, for the bench)
    var found = [];
    (codes || []).forEach(function (code) {
      if (!code.rawValue || found.indexOf(code.rawValue) !== -1) return;
      var contradicted = !every && codes.some(function (other) {
        return other.rawValue && other.rawValue !== code.rawValue && overlap(code.boundingBox, other.boundingBox);
      });
      if (!contradicted) found.push(code.rawValue);
    });
    return found;
  }

  // A list's code in shape: a signed payload (GS1.…) or a 12-digit declaration number, checked as a typed number is
  // (payload.decode: 12 ASCII digits, spaces ignored; Decision 1966 Art 35.2.c). The server's decode.plausible is
  // the same rule. A number that is not one (another number's barcode, a misread: digits, maybe grouped, not 12 of
  // them) is never offered as the declaration number: the camera keeps looking, and a photo goes to the server,
  // which tries harder and else names what it read and why it is refused (barcode_not_a_number, reads.py).
  var PLAUSIBLE = /^(GS1\.[A-Z]\.[0-9]{12}\.[1-9][0-9]{0,5}\.[A-Z][A-Z2-7]{16}|[0-9]{12})$/;
  var NUMBER_LIKE = /^[0-9]+(?:[ .\-\/][0-9]+)*$/;
  function plausible(text) { return PLAUSIBLE.test(String(text).replace(/\s+/g, "").toUpperCase()); }
  function wrongNumber(text) { return NUMBER_LIKE.test(String(text).trim()) && !plausible(text); }
  // The texts a reader offers: all of them for a reader of any code (a seal's, `data-camera-any`); else a list's
  // code first, then other codes (a record's QR on the receiving page, a container's code the page refuses in its
  // own words), never a wrong number.
  function offered(read, any) {
    if (any) return read;
    return read.filter(plausible).concat(read.filter(function (text) { return !plausible(text) && !wrongNumber(text); }));
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
  // When the reader finds no list code, a second attempt on the located crop (below; issue 17), unless
  // `options.plain`: the reader alone, without the located crop nor the dropping of contradicted reads (the tests
  // show with it what the located crop adds).
  function decodeImage(source, options) {
    var plain = Boolean(options && options.plain);
    return reader().then(function (found) {
      function read(image) {
        return found.detector.detect(image).then(function (codes) { return texts(codes, plain); }).then(function (read) {
          if (plain || read.some(plausible)) return read;
          // What the plain read found stays first (a seal's number, read by a reader of any code).
          return readLocated(found.detector, image, locate(image)).then(function (more) {
            return read.concat(more.filter(function (text) { return read.indexOf(text) === -1; }));
          });
        });
      }
      if (!(source instanceof Blob)) return read(source);
      return bitmapOf(source).then(function (bitmap) {
        return read(bitmap || source).then(function (read) {
          if (bitmap) bitmap.close();
          return read;
        }, function (error) {
          if (bitmap) bitmap.close();
          throw error;
        });
      });
    });
  }

  // --- the located crop, and what the picture says about itself (issue 17) -----------------------------------------
  //
  // What the server learnt (backend/barcodes/decode.py, pass 4), done cheaply in the page: ZXing reads a small or
  // blurred Code 128, or one turned far from level, badly; but where a 1D code is can be seen without reading it
  // (strong gradients that all point one way), and a crop there, turned so the bars stand upright, its rows
  // averaged (along the bars: the noise goes, the bars stay), widened and sharpened (an unsharp mask undoes much of
  // the focus blur), is read far more often. The same look tells the officer why a frame is not read: the code is
  // small in the picture ("move closer"), or its edges are soft ("hold still").
  // The reader already runs ZXing with its harder modes (tryHarder, tryRotate, tryInvert, tryDownscale; native
  // BarcodeDetectors have none to set), so the extra work is done on the picture, as on the server.

  var LOCATE_SIDE = 800; // px: the picture is looked at no larger than this (the server halves its own)
  var CELL = 8; // px of the looked-at picture a cell
  var BLUR_LIMIT = 1.8; // px (estimated Gaussian sigma of the code's edges, in the frame): above it, "hold still"
  var SMALL_SHARE = 0.3; // a code narrower than this share of the frame is small: "move closer"
  var MIN_BARS = 6; // a 12-digit Code 128 has 20 bars; a blurred one still shows some of its wide ones

  function canvasOf(width, height) {
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width));
    canvas.height = Math.max(1, Math.round(height));
    return canvas;
  }

  function sizeOf(source) {
    if (source.videoWidth) return { width: source.videoWidth, height: source.videoHeight };
    return { width: source.width || 0, height: source.height || 0 };
  }

  function greyOf(data) {
    var rgba = data.data;
    var grey = new Float32Array(data.width * data.height);
    for (var i = 0, j = 0; i < grey.length; i++, j += 4) grey[i] = 0.299 * rgba[j] + 0.587 * rgba[j + 1] + 0.114 * rgba[j + 2];
    return grey;
  }

  // Where a 1D code probably is in `source`: its centre, the direction across its bars and its extent, in the
  // source's pixels; or null. The structure tensor of the gradients summed over cells: a code is where they are
  // strong and all point one way (noise, the same in every direction, cancels out of the anisotropy).
  function locate(source) {
    var size = sizeOf(source);
    if (!size.width || !size.height || typeof source === "string") return null;
    var scale = Math.min(1, LOCATE_SIDE / Math.max(size.width, size.height));
    var width = Math.round(size.width * scale);
    var height = Math.round(size.height * scale);
    var data;
    try {
      var canvas = canvasOf(width, height);
      var context = canvas.getContext("2d", { willReadFrequently: true });
      if (typeof ImageData !== "undefined" && source instanceof ImageData) return null; // not drawable
      context.drawImage(source, 0, 0, width, height);
      data = context.getImageData(0, 0, width, height);
    } catch (error) {
      return null;
    }
    var grey = greyOf(data);
    var cols = Math.floor(width / CELL);
    var rows = Math.floor(height / CELL);
    if (cols < 3 || rows < 3) return null;
    var xx = new Float32Array(cols * rows);
    var yy = new Float32Array(cols * rows);
    var xy = new Float32Array(cols * rows);
    for (var y = 1; y < rows * CELL - 1; y++) {
      var cellRow = Math.floor(y / CELL) * cols;
      for (var x = 1; x < cols * CELL - 1; x++) {
        var at = y * width + x;
        var gx = (grey[at + 1] - grey[at - 1]) / 2;
        var gy = (grey[at + width] - grey[at - width]) / 2;
        var cell = cellRow + Math.floor(x / CELL);
        xx[cell] += gx * gx;
        yy[cell] += gy * gy;
        xy[cell] += gx * gy;
      }
    }
    // Each cell with its 3 x 3 neighbours: a code's wide and narrow bars make one region.
    function summed(field, cx, cy) {
      var total = 0;
      for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
          var nx = cx + dx;
          var ny = cy + dy;
          if (nx >= 0 && ny >= 0 && nx < cols && ny < rows) total += field[ny * cols + nx];
        }
      }
      return total;
    }
    var score = new Float32Array(cols * rows);
    var best = -1;
    for (var cy = 0; cy < rows; cy++) {
      for (var cx = 0; cx < cols; cx++) {
        var a = summed(xx, cx, cy);
        var b = summed(yy, cx, cy);
        var c = summed(xy, cx, cy);
        var anisotropy = Math.sqrt((a - b) * (a - b) + 4 * c * c);
        var index = cy * cols + cx;
        score[index] = anisotropy > 0.6 * (a + b) ? anisotropy : 0;
        if (best < 0 || score[index] > score[best]) best = index;
      }
    }
    // An anisotropic energy of ~50 grey levels squared a pixel: bars, even of a dark photo; not paper grain.
    if (best < 0 || score[best] < 50 * 9 * CELL * CELL) return null;
    var limit = score[best] * 0.3;
    var seen = new Uint8Array(cols * rows);
    var queue = [best];
    var cells = [];
    var sxx = 0, syy = 0, sxy = 0;
    seen[best] = 1;
    while (queue.length) {
      var here = queue.pop();
      cells.push(here);
      sxx += xx[here];
      syy += yy[here];
      sxy += xy[here];
      var hx = here % cols;
      var hy = (here - hx) / cols;
      [[1, 0], [-1, 0], [0, 1], [0, -1]].forEach(function (step) {
        var nx = hx + step[0];
        var ny = hy + step[1];
        if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) return;
        var next = ny * cols + nx;
        if (!seen[next] && score[next] > limit) {
          seen[next] = 1;
          queue.push(next);
        }
      });
    }
    if (Math.sqrt((sxx - syy) * (sxx - syy) + 4 * sxy * sxy) < 0.3 * (sxx + syy)) return null; // no one direction
    var angle = 0.5 * Math.atan2(2 * sxy, sxx - syy); // of the gradients: across the bars
    var ux = Math.cos(angle), uy = Math.sin(angle);
    var lowU = Infinity, highU = -Infinity, lowV = Infinity, highV = -Infinity, sumX = 0, sumY = 0;
    cells.forEach(function (cell) {
      var px = (cell % cols + 0.5) * CELL;
      var py = (Math.floor(cell / cols) + 0.5) * CELL;
      var u = px * ux + py * uy;
      var v = -px * uy + py * ux;
      lowU = Math.min(lowU, u); highU = Math.max(highU, u);
      lowV = Math.min(lowV, v); highV = Math.max(highV, v);
      sumX += px; sumY += py;
    });
    // The 3 x 3 sum widens the region by about a cell on each side.
    var along = Math.max(CELL, highU - lowU - CELL) / scale;
    var across = Math.max(CELL, highV - lowV - CELL) / scale;
    var x = sumX / cells.length / scale;
    var y = sumY / cells.length / scale;
    var edges = edgeBlur(source, x, y, angle, along, across);
    if (edges.bars < MIN_BARS) return null; // the edge of a sheet, a line of print: no code
    return { x: x, y: y, angle: angle, along: along, across: across, frameWidth: size.width, frameHeight: size.height, blur: edges.blur };
  }

  // How many bars the place shows, and how soft their edges are: the Gaussian sigma (px of the source) that would turn a step of the code's
  // contrast into its steepest edges (a sharp edge measures ~0.8 px). On a crop at the source's own resolution,
  // turned so the bars stand upright: the blur is what it is in the frame, not in a shrunk copy.
  function edgeBlur(source, x, y, angle, along, across) {
    var width = Math.min(600, along * 1.1);
    var height = Math.min(40, Math.max(4, across * 0.5));
    var data;
    try {
      var canvas = canvasOf(width, height);
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.translate(canvas.width / 2, canvas.height / 2);
      context.rotate(-angle);
      context.translate(-x, -y);
      context.drawImage(source, 0, 0);
      data = context.getImageData(0, 0, canvas.width, canvas.height);
    } catch (error) {
      return { bars: 0, blur: null };
    }
    var grey = greyOf(data);
    var w = data.width;
    var values = [];
    var slopes = [];
    for (var row = 0; row < data.height; row++) {
      for (var col = 1; col < w - 1; col++) {
        var at = row * w + col;
        values.push(grey[at]);
        slopes.push(Math.abs(grey[at + 1] - grey[at - 1]) / 2);
      }
    }
    if (!values.length) return { bars: 0, blur: null };
    values.sort(function (a, b) { return a - b; });
    slopes.sort(function (a, b) { return a - b; });
    var low = values[Math.floor(values.length * 0.05)];
    var contrast = values[Math.floor(values.length * 0.95)] - low;
    var steepest = slopes[Math.floor(slopes.length * 0.98)];
    if (contrast < 20 || !steepest) return { bars: 0, blur: null };
    // Bars: how often the rows' mean crosses the middle grey (with a margin): a code has dozens of bars, the edge
    // of a sheet or a line of print one or a few.
    var bars = 0;
    var dark = null;
    for (var x = 0; x < w; x++) {
      var total = 0;
      for (var y = 0; y < data.height; y++) total += grey[y * w + x];
      var level = (total / data.height - low) / contrast;
      if (level < 0.45 && dark !== true) { dark = true; bars++; }
      else if (level > 0.55 && dark !== false) { dark = false; }
    }
    return { bars: bars, blur: contrast / (steepest * Math.sqrt(2 * Math.PI)) };
  }

  // The located crop of `source` as pictures to read: its rows averaged into one profile (60 % of the code's
  // height, then a thin 20 % band: a direction a little off smears the bars of a tall band), widened so a module is
  // ~4 px (then ~7 px: the small and blurred codes of the bench), each as it is, sharpened (unsharp mask) and
  // thresholded against its own moving mean (the fixed threshold the server's second binarizer gives: the narrow
  // bars of a small or blurred code), stretched to the whole grey range. Nine small pictures at most.
  function locatedImages(source, place) {
    var pictures = [];
    [[0.6, 400], [0.2, 400], [0.6, 700]].forEach(function (variant) {
      var band = variant[0];
      var widen = Math.max(1, Math.min(6, variant[1] / place.along));
      var profile = profileOf(source, place, widen, band);
      if (!profile) return;
      var sharp = sharpened(profile, 1.5 * widen, 3);
      pictures.push(pictureOf(profile, 24), pictureOf(sharp, 24), pictureOf(thresholded(sharp, Math.round(6 * widen * place.along / 101)), 24));
    });
    return pictures;
  }

  function profileOf(source, place, widen, band) {
    var width = Math.min(2000, (place.along * 1.6 + 60) * widen); // the located region is short of the code: room for it and its quiet zones
    // Every row of the band drawn and averaged here: a canvas squeezing them would sample only a few.
    var rows = Math.max(4, Math.min(200, Math.round(place.across * band)));
    var data;
    try {
      var canvas = canvasOf(width, rows);
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.imageSmoothingEnabled = true;
      context.imageSmoothingQuality = "high";
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.translate(canvas.width / 2, canvas.height / 2);
      // Across the bars: widened; along them: `band` of the code's height, at its own scale.
      context.scale(widen, 1);
      context.rotate(-place.angle);
      context.translate(-place.x, -place.y);
      context.drawImage(source, 0, 0);
      data = context.getImageData(0, 0, canvas.width, canvas.height);
    } catch (error) {
      return null;
    }
    var grey = greyOf(data);
    var w = data.width;
    var profile = new Float32Array(w);
    for (var col = 0; col < w; col++) {
      var total = 0;
      for (var row = 0; row < data.height; row++) total += grey[row * w + col];
      profile[col] = total / data.height;
    }
    return profile;
  }

  function thresholded(profile, window) {
    var half = Math.max(2, window);
    var sums = new Float64Array(profile.length + 1);
    for (var i = 0; i < profile.length; i++) sums[i + 1] = sums[i] + profile[i];
    var out = new Float32Array(profile.length);
    for (var k = 0; k < profile.length; k++) {
      var lo = Math.max(0, k - half);
      var hi = Math.min(profile.length, k + half + 1);
      out[k] = profile[k] > (sums[hi] - sums[lo]) / (hi - lo) ? 255 : 0;
    }
    return out;
  }

  function sharpened(profile, sigma, amount) {
    if (!amount) return profile;
    var radius = Math.ceil(sigma * 3);
    var kernel = [];
    var total = 0;
    for (var k = -radius; k <= radius; k++) {
      kernel.push(Math.exp(-(k * k) / (2 * sigma * sigma)));
      total += kernel[kernel.length - 1];
    }
    var out = new Float32Array(profile.length);
    for (var i = 0; i < profile.length; i++) {
      var smooth = 0;
      for (var j = -radius; j <= radius; j++) {
        var at = Math.min(profile.length - 1, Math.max(0, i + j));
        smooth += profile[at] * kernel[j + radius];
      }
      out[i] = profile[i] + amount * (profile[i] - smooth / total);
    }
    return out;
  }

  function pictureOf(profile, rows) {
    var sorted = Array.prototype.slice.call(profile).sort(function (a, b) { return a - b; });
    var low = sorted[Math.floor(sorted.length * 0.02)];
    var high = sorted[Math.floor(sorted.length * 0.98)];
    var span = Math.max(1, high - low);
    var picture = new ImageData(profile.length, rows);
    for (var col = 0; col < profile.length; col++) {
      var value = Math.max(0, Math.min(255, Math.round((profile[col] - low) * 255 / span)));
      for (var row = 0; row < rows; row++) {
        var at = (row * profile.length + col) * 4;
        picture.data[at] = picture.data[at + 1] = picture.data[at + 2] = value;
        picture.data[at + 3] = 255;
      }
    }
    return picture;
  }

  // The located crop read: the texts of the first picture that gives a list code (else any texts read).
  function readLocated(detector, source, place) {
    if (!place) return Promise.resolve([]);
    var pictures = locatedImages(source, place);
    var fallback = [];
    function next(index) {
      if (index >= pictures.length) return Promise.resolve(fallback);
      return detector.detect(pictures[index]).then(texts, function () { return []; }).then(function (read) {
        if (read.some(plausible)) return read;
        if (!fallback.length) fallback = read;
        return next(index + 1);
      });
    }
    return next(0);
  }

  // What to tell the officer about a frame that was not read: "still" (the code's edges are soft: focus or
  // shake), "closer" (a code is seen but small in the frame), or null.
  function adviceFor(place) {
    if (!place) return null;
    if (place.blur !== null && place.blur > BLUR_LIMIT) return "still";
    if (place.along < SMALL_SHARE * place.frameWidth) return "closer";
    return null;
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

  // Once the rear camera is open (issue 17): up to 1080p where it has it — many phones otherwise give 640 x 480,
  // where a list's Code 128 at arm's length is ~1.5 px a bar, below what any reader separates — and continuous
  // autofocus where the camera can be told (Chrome on Android): a list is held close, and a camera that focused once
  // on the far side of the gate sees a blurred code. "ideal" and "advanced": a camera that cannot is never refused.
  // Asked by setUpTools() below, with the torch, zoom and tap-to-focus the officer may add.

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
    // The tools hidden again (the next camera may have none) and the hint back to its words.
    var box = boxOf(current.overlay);
    [part(box, "torch"), part(box, "zoom")].forEach(function (tool) { if (tool) tool.hidden = true; });
    if (current.pointAt !== null) current.hint.textContent = current.pointAt;
    current.hint.classList.remove("camera-hint-advice");
    current.hint.dataset.cameraAdvice = "";
    document.documentElement.classList.remove("camera-open");
  }

  function cancelCamera() {
    var current = session;
    closeCamera();
    var field = current && fieldOf(current.formId);
    if (field) field.focus();
  }

  // The hint under the view: the words for pointing the camera, or advice once two looks in a row agree on it
  // (a single shaky frame does not make the words jump).
  function advise(current, advice) {
    if (advice !== current.lastAdvice) {
      current.lastAdvice = advice;
      return;
    }
    var said = words(boxOf(current.hint));
    var text = advice === "still" ? said.holdStill : advice === "closer" ? said.moveCloser : current.pointAt;
    if (!text || current.hint.textContent === text) return;
    current.hint.textContent = text;
    current.hint.classList.toggle("camera-hint-advice", Boolean(advice));
    current.hint.dataset.cameraAdvice = advice || "";
  }

  function scan(current, found) {
    var lookedAt = 0;
    function next() { current.timer = setTimeout(tick, FRAME_PAUSE_MS); }
    function done(read) {
      closeCamera();
      submitCode(current.formId, read[0]);
    }
    // A frame not read: now and then (LOOK_MS), look at it — the located crop read, else advice for the officer.
    function look(video) {
      var now = Date.now();
      if (now - lookedAt < LOOK_MS) return next();
      lookedAt = now;
      var place = locate(video);
      readLocated(found.detector, video, place).then(function (more) {
        if (!current.open) return;
        var read = offered(more, current.any);
        if (read.length) {
          lastPath = found.kind;
          return done(read);
        }
        advise(current, adviceFor(place));
        next();
      }, function () {
        if (current.open) next();
      });
    }
    function tick() {
      if (!current.open) return;
      var video = current.video;
      if (video.readyState < 2 || !video.videoWidth) return next(); // no frame yet
      found.detector.detect(video).then(function (codes) {
        if (!current.open) return;
        var read = offered(texts(codes), current.any);
        if (!read.length) return look(video);
        lastPath = found.kind;
        done(read);
      }, function () {
        if (current.open) next();
      });
    }
    tick();
  }

  // --- the camera's own help: torch, zoom, tap to focus (issue 17) ---------------------------------------------------
  //
  // Shown only where the camera says it can (MediaStreamTrack.getCapabilities: `torch`, `zoom`; tap to focus where
  // the browser knows `pointsOfInterest`): Chrome on Android has them, iPhones and desktops mostly not, and a
  // control that does nothing is worse than none. Each is asked as an "advanced" constraint beside the others
  // (resolution, continuous focus), so a camera that cannot is never refused.

  function constrain(current) {
    var track = current.track;
    if (!track) return Promise.resolve();
    var advanced = [];
    if (current.focus) advanced.push({ focusMode: current.focus });
    if (current.torch) advanced.push({ torch: true });
    if (current.zoom !== null) advanced.push({ zoom: current.zoom });
    if (current.point) advanced.push({ pointsOfInterest: [current.point] });
    var wanted = { width: { ideal: 1920 }, height: { ideal: 1080 } };
    if (advanced.length) wanted.advanced = advanced;
    return track.applyConstraints(wanted).catch(function () {});
  }

  function setUpTools(current, box, stream) {
    var track = stream.getVideoTracks && stream.getVideoTracks()[0];
    var torch = part(box, "torch");
    var zoomBox = part(box, "zoom");
    var zoom = zoomBox && zoomBox.querySelector("input");
    if (!track || typeof track.applyConstraints !== "function") return;
    current.track = track;
    var can = typeof track.getCapabilities === "function" ? track.getCapabilities() : {};
    var settings = typeof track.getSettings === "function" ? track.getSettings() : {};
    if (can.focusMode && can.focusMode.indexOf("continuous") !== -1) current.focus = "continuous";
    if (torch && can.torch) {
      torch.hidden = false;
      torch.setAttribute("aria-pressed", "false");
    }
    if (zoom && can.zoom && typeof can.zoom.max === "number" && can.zoom.max > can.zoom.min) {
      zoom.min = String(can.zoom.min);
      zoom.max = String(can.zoom.max);
      zoom.step = String(can.zoom.step || 0.1);
      zoom.value = String(typeof settings.zoom === "number" ? settings.zoom : can.zoom.min);
      zoomBox.hidden = false;
    }
    var supported = navigator.mediaDevices.getSupportedConstraints ? navigator.mediaDevices.getSupportedConstraints() : {};
    current.tapToFocus = Boolean(supported.pointsOfInterest || can.pointsOfInterest);
    constrain(current);
  }

  function toggleTorch(button) {
    var current = session;
    if (!current || !current.track) return;
    current.torch = !current.torch;
    button.setAttribute("aria-pressed", current.torch ? "true" : "false");
    constrain(current);
  }

  function setZoom(input) {
    var current = session;
    if (!current || !current.track) return;
    var value = Number(input.value);
    if (!isFinite(value)) return;
    current.zoom = value;
    constrain(current);
  }

  // A tap on the view focuses there (normalized coordinates of the frame shown), where the camera can.
  function tapToFocus(event) {
    var current = session;
    if (!current || !current.tapToFocus) return;
    var rect = current.video.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    current.point = {
      x: Math.max(0, Math.min(1, (event.clientX - rect.left) / rect.width)),
      y: Math.max(0, Math.min(1, (event.clientY - rect.top) / rect.height)),
    };
    constrain(current);
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
      any: box.hasAttribute("data-camera-any"),
      stream: null,
      track: null,
      timer: null,
      open: true,
      focus: null,
      torch: false,
      zoom: null,
      point: null,
      tapToFocus: false,
      lastAdvice: null,
      pointAt: null,
    };
    session = current;
    var pointAt = current.hint.textContent;
    current.pointAt = pointAt;
    current.hint.textContent = said.starting;
    current.overlay.hidden = false;
    document.documentElement.classList.add("camera-open");
    part(box, "cancel").focus();
    reader().catch(function () {}); // start loading the reader while the officer allows the camera
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      if (!current.open) return stopTracks(stream);
      current.stream = stream;
      setUpTools(current, box, stream);
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
    var any = box.hasAttribute("data-camera-any");
    var inPage = reader().then(function (found) {
      return decodeImage(file).then(function (read) { return { kind: found.kind, read: offered(read, any) }; });
    }).catch(function () { return { kind: null, read: [] }; }); // no reader here, or no picture the page can open
    inPage.then(function (result) {
      if (result.read.length) {
        lastPath = result.kind;
        return result.read[0];
      }
      return askServer(file, said, any).then(function (text) {
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
    if (target.closest("[data-camera-cancel]")) {
      cancelCamera();
      return;
    }
    var torch = target.closest("[data-camera-torch]");
    if (torch) {
      toggleTorch(torch);
      return;
    }
    if (target.closest("[data-camera-video]")) tapToFocus(event);
  });
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.closest("[data-camera-zoom]")) setZoom(target);
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
    plausible: plausible,
    offered: offered,
    locate: locate,
    close: closeCamera,
  };
})();
