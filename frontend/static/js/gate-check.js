// giamsat gate check on the device (docs/gate.md, "The check on the device"): the twin of backend/gate/check.py,
// run at once on the officer's phone, online or offline, from the gate cards the device keeps (JSON of
// `GateCard`, as GET /api/v1/gate/cards/{number} and the gate_cards replica dataset answer). It must give the
// SAME verdict as the server for every input: tests/gate/test_check_js.py runs it with node against the Python on a
// table of cases and a few hundred random ones, field by field.
//
// One global `window.giamsatGateCheck` (needs /static/js/iso6346.js loaded first); node loads it with require().
//   checkPassage(card, presented, {scannedVersion, borderGate, rules}) -> {eligible, reasons: [{code, clause,
//     severity, message (the English msgid), params, by_analogy}]}; `rules` are giamsat's own rules of the check
//     (check.GateRules: weight_tolerance_percent, xray_warnings_block), the deployment's settings, which the page
//     renders in <script id="gate-check-rules"> (rulesFromPage); left out, giamsat's defaults (DEFAULT_RULES).
//   text(reason, catalog) -> the reason worded from `catalog` (msgid -> translation: the JSON of
//     <script id="gate-check-messages">, frontend/templates/gate/_check_messages.html), as Reason.text does.
//   severityWord(severity, words), clauseText(clause, words, byAnalogy): from <script id="gate-check-words">.
//   parseScan(text) -> what a scanned or typed text names (payload.decode without the key), or {error: code}.
//   messagesFromPage(document), wordsFromPage(document), rulesFromPage(document): the data blocks, parsed.
(function (scope) {
  "use strict";

  // Bulk and liquid cargo: how far the weighed weight may be from the declared one by default (check.py says why
  // 2 %); the deployment's figure is a setting and comes with the page (rules.weight_tolerance_percent).
  var WEIGHT_TOLERANCE_PERCENT = 2.0;
  // check.py's DEFAULT_RULES: giamsat's rules, not the procedure's (docs/gate.md, "Rules that are giamsat's").
  var DEFAULT_RULES = { weight_tolerance_percent: WEIGHT_TOLERANCE_PERCENT, xray_warnings_block: true };
  // The kinds of declaration Arts 35 and 36 name (check.py DIRECT_KINDS); any other is checked by analogy.
  var DIRECT_KINDS = ["import", "independent_transit", "combined_transit"];

  var BLOCKING = "blocking";
  var WARNING = "warning";
  var INFO = "info";

  // The msgids of check.py (its MESSAGES), word for word: they are the keys of the catalog.
  var M = {
    STATUS_NOT_ELIGIBLE: "Declaration status %(status)s does not allow the goods to pass the supervision zone.",
    BARCODE_EXPIRED:
      "The barcode (version %(scanned)s) expired by a supplementary declaration (now version %(current)s): " +
      "reprint the list at the registering branch %(branch)s.",
    SEAL_NOT_CONFIRMED: "The goods must be sealed and the sealing is not confirmed: present the goods for sealing.",
    CONTAINERS_NOT_DECLARED: "Containers were presented but the declaration is for %(cargo)s cargo.",
    CONTAINER_CHECK_DIGIT:
      "Container %(number)s has a wrong check digit (expected %(digit)s). Did you mean: %(hints)s?",
    CONTAINER_SHAPE: "%(number)s is not an ISO 6346 container number. Did you mean: %(hints)s?",
    CONTAINER_REPEATED: "Container %(number)s was presented twice.",
    CONTAINER_NOT_DECLARED: "Container %(number)s is not on the declaration.",
    CONTAINER_MISSING: "Declared container %(number)s was not presented.",
    CONTAINER_COUNT: "%(presented)s containers presented, %(declared)s declared.",
    WEIGHT_NOT_DECLARED: "A weight was presented but the declaration is for %(cargo)s cargo.",
    WEIGHT_MISMATCH:
      "Weighed %(presented)s kg, declared %(declared)s kg: %(off)s%% off, beyond the %(tolerance)s%% " +
      "tolerance for weighbridge error and moisture or evaporation.",
    PACKAGES_NOT_DECLARED: "A package count was presented but the declaration is for %(cargo)s cargo.",
    PACKAGE_COUNT_MISMATCH: "%(presented)s packages counted, %(declared)s declared.",
    XRAY_WARNING: "X-ray warning (form 03/KQSCT/GSQL): %(text)s. The goods go to inspection.",
    SYSTEM_WARNING: "System warning: %(text)s",
    YELLOW_LANE: "Yellow lane (2): documents were checked.",
    RED_LANE: "Red lane (3): goods were inspected; the status decides whether they pass.",
    GOODS_DAMAGED: "The goods' outside state does not match: they may not leave the supervision zone.",
    SEALS_BROKEN: "A seal on the goods is broken: the goods may not leave the supervision zone.",
    OUTSIDE_STATE_UNCHECKED: "At a border gate, check the goods' outside state and seals before they leave.",
  };
  var MESSAGES = Object.keys(M).map(function (key) {
    return M[key];
  });

  // parseScan's refusals: payload.py's msgids (the same codes as payload.decode).
  var SCAN_MESSAGES = {
    barcode_unreadable: "No barcode could be read. Try again, or type the declaration number.",
    barcode_unknown_format: "This code is not a giamsat list barcode or a 12-digit declaration number.",
  };

  function iso6346() {
    if (typeof module === "object" && module.exports && typeof require === "function") return require("./iso6346.js");
    if (!scope.giamsatIso6346) throw new Error("gate-check.js needs iso6346.js loaded first");
    return scope.giamsatIso6346;
  }

  function isNone(value) {
    return value === null || value === undefined;
  }

  function reason(code, clause, severity, message, params) {
    return { code: code, clause: clause, severity: severity, message: message, params: params || {}, by_analogy: false };
  }

  // --- Python's number formatting ----------------------------------------------------------------------------

  // f"{x:.{digits}f}" for a float, without thousands separators. JavaScript's toFixed rounds an exact tie away from
  // zero where Python rounds it to even (0.0625 -> "0.062" in Python, "0.063" by toFixed), and writes 1e21 and
  // beyond with an exponent: both are done the Python way here.
  function fixed(x, digits) {
    if (x !== x) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    var negative = x < 0 || Object.is(x, -0);
    var magnitude = Math.abs(x);
    var text;
    if (magnitude >= 1e21) {
      // An integer (every double this large is): its exact decimal digits.
      text = BigInt(magnitude).toString() + (digits > 0 ? "." + "0".repeat(digits) : "");
    } else {
      text = magnitude.toFixed(digits);
      // A tie (exactly half a unit of the last digit) is a double x with x * 2^(digits+1) an odd integer.
      var scaled = magnitude * Math.pow(2, digits + 1);
      if (Number.isInteger(scaled) && scaled % 2 === 1) {
        var last = text.charCodeAt(text.length - 1) - 48;
        if (last % 2 === 1) text = text.slice(0, -1) + String(last - 1); // the even neighbour, one unit down
      }
    }
    return (negative ? "-" : "") + text;
  }

  // f"{x:,.{digits}f}": the same, the integer part grouped by thousands with commas.
  function groupedFixed(x, digits) {
    var text = fixed(x, digits);
    var sign = text.charAt(0) === "-" ? "-" : "";
    var body = sign ? text.slice(1) : text;
    if (!/^\d/.test(body)) return text; // inf, nan
    var point = body.indexOf(".");
    var whole = point < 0 ? body : body.slice(0, point);
    var rest = point < 0 ? "" : body.slice(point);
    return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + rest;
  }

  // check.py's _kg: f"{value:,.3f}".rstrip("0").rstrip(".").
  function kg(value) {
    return groupedFixed(value, 3).replace(/0+$/, "").replace(/\.$/, "");
  }

  // f"{x:g}" for the tolerance (a constant: 2.0 -> "2"); enough for plain figures like 2, 1.5 or 0.5.
  function general(x) {
    return String(Number(x.toPrecision(6)));
  }

  // --- the rules -----------------------------------------------------------------------------------------------

  function at(options, card) {
    options = options || {};
    var border = Boolean(options.borderGate);
    var rules = Object.assign({}, DEFAULT_RULES, options.rules || {});
    return {
      borderGate: border,
      scannedVersion: isNone(options.scannedVersion) ? null : options.scannedVersion,
      byAnalogy: DIRECT_KINDS.indexOf(card && card.kind) < 0,
      rules: rules,
      clause: function (art35, art36) {
        return border ? art36 : art35;
      },
    };
  }

  function statusAllowsPassage(card, presented, where) {
    if (card.allows_passage) return [];
    return [
      reason("status_not_eligible", where.clause("35.2.a.1", "36.2.b.1"), BLOCKING, M.STATUS_NOT_ELIGIBLE, {
        status: card.status_code,
      }),
    ];
  }

  function barcodeVersionCurrent(card, presented, where) {
    if (where.scannedVersion === null || where.scannedVersion >= card.version) return [];
    return [
      reason("barcode_expired", where.clause("35.2.b.2.1.2", "36.2.c.2.1.2"), BLOCKING, M.BARCODE_EXPIRED, {
        scanned: where.scannedVersion,
        current: card.version,
        branch: card.branch_code,
      }),
    ];
  }

  function sealConfirmed(card, presented, where) {
    if (!card.seal_required || card.sealed) return [];
    return [reason("seal_not_confirmed", where.clause("35.2.b.2.1.1", "36.2.c.2.1.1"), BLOCKING, M.SEAL_NOT_CONFIRMED)];
  }

  function containersMatch(card, presented, where) {
    if (isNone(presented.containers)) return [];
    var clause = where.clause("35.2.a.2", "36.2.b.2");
    if (card.cargo_type !== "containers") {
      return [
        reason("containers_not_declared", clause, BLOCKING, M.CONTAINERS_NOT_DECLARED, { cargo: card.cargo_type }),
      ];
    }
    var iso = iso6346();
    var reasons = [];
    var declared = (card.containers || []).map(function (container) {
      return container.number;
    });
    var seen = [];
    presented.containers.forEach(function (raw) {
      var verdict = iso.check(raw);
      if (!verdict.valid) {
        var hints = verdict.hints.join(", ");
        reasons.push(
          reason(
            "container_invalid",
            clause,
            BLOCKING,
            verdict.problem === "check_digit" ? M.CONTAINER_CHECK_DIGIT : M.CONTAINER_SHAPE,
            {
              number: verdict.number,
              digit: verdict.expectedCheckDigit !== null ? verdict.expectedCheckDigit : "",
              hints: hints || "-",
            }
          )
        );
        return;
      }
      if (seen.indexOf(verdict.number) >= 0) {
        reasons.push(reason("container_repeated", clause, BLOCKING, M.CONTAINER_REPEATED, { number: verdict.number }));
        return;
      }
      seen.push(verdict.number);
      if (declared.indexOf(verdict.number) < 0) {
        reasons.push(
          reason("container_not_declared", clause, BLOCKING, M.CONTAINER_NOT_DECLARED, { number: verdict.number })
        );
      }
    });
    if (presented.whole_lot) {
      declared.forEach(function (number) {
        if (seen.indexOf(number) < 0) {
          reasons.push(reason("container_missing", clause, BLOCKING, M.CONTAINER_MISSING, { number: number }));
        }
      });
      if (presented.containers.length !== declared.length) {
        reasons.push(
          reason("container_count", clause, BLOCKING, M.CONTAINER_COUNT, {
            presented: presented.containers.length,
            declared: declared.length,
          })
        );
      }
    }
    return reasons;
  }

  function weightMatches(card, presented, where) {
    if (isNone(presented.weight_kg)) return [];
    var clause = where.clause("35.2.a.2", "36.2.b.2");
    if (isNone(card.weight_kg)) {
      return [reason("weight_not_declared", clause, BLOCKING, M.WEIGHT_NOT_DECLARED, { cargo: card.cargo_type })];
    }
    // The same floating-point operations in the same order as the Python: the same double.
    var off = card.weight_kg ? (Math.abs(presented.weight_kg - card.weight_kg) / card.weight_kg) * 100 : 100.0;
    var tolerance = where.rules.weight_tolerance_percent;
    if (off <= tolerance) return [];
    return [
      reason("weight_mismatch", clause, BLOCKING, M.WEIGHT_MISMATCH, {
        presented: kg(presented.weight_kg),
        declared: kg(card.weight_kg),
        off: fixed(off, 1),
        tolerance: general(tolerance),
      }),
    ];
  }

  function packagesMatch(card, presented, where) {
    if (isNone(presented.package_count)) return [];
    var clause = where.clause("35.2.a.2", "36.2.b.2");
    if (isNone(card.package_count)) {
      return [reason("packages_not_declared", clause, BLOCKING, M.PACKAGES_NOT_DECLARED, { cargo: card.cargo_type })];
    }
    if (presented.package_count === card.package_count) return [];
    return [
      reason("package_count_mismatch", clause, BLOCKING, M.PACKAGE_COUNT_MISMATCH, {
        presented: presented.package_count,
        declared: card.package_count,
      }),
    ];
  }

  function declarationWarnings(card, presented, where) {
    return (card.warnings || []).map(function (warning) {
      if (warning.source === "xray") {
        var severity = where.rules.xray_warnings_block ? BLOCKING : WARNING;
        return reason("xray_warning", where.clause("35.4", "36.4"), severity, M.XRAY_WARNING, { text: warning.text });
      }
      return reason("system_warning", where.clause("35.2.a.3", "36.2.c.2.1"), WARNING, M.SYSTEM_WARNING, {
        text: warning.text,
      });
    });
  }

  function laneInformation(card, presented, where) {
    if (card.lane !== 2 && card.lane !== 3) return [];
    var message = card.lane === 2 ? M.YELLOW_LANE : M.RED_LANE;
    return [reason("lane", where.clause("35.2.a.1", "36.2.b.1"), INFO, message, { lane: card.lane })];
  }

  function outsideStateIntact(card, presented, where) {
    if (!where.borderGate) return []; // Art 35 compares documents only
    var reasons = [];
    if (presented.outside_state === "damaged") {
      reasons.push(reason("goods_damaged", "36.2.c.2.3", BLOCKING, M.GOODS_DAMAGED));
    }
    if (presented.seals_intact === false) {
      reasons.push(reason("seals_broken", "36.2.c.2.3", BLOCKING, M.SEALS_BROKEN));
    }
    if (isNone(presented.outside_state) && isNone(presented.seals_intact)) {
      reasons.push(reason("outside_state_unchecked", "36.2.b", WARNING, M.OUTSIDE_STATE_UNCHECKED));
    }
    return reasons;
  }

  // The order is the order reasons are shown in: why the declaration cannot pass at all first (check.py's RULES).
  var RULES = [
    ["status", statusAllowsPassage],
    ["barcode_version", barcodeVersionCurrent],
    ["seal", sealConfirmed],
    ["containers", containersMatch],
    ["weight", weightMatches],
    ["packages", packagesMatch],
    ["warnings", declarationWarnings],
    ["lane", laneInformation],
    ["outside_state", outsideStateIntact],
  ];

  // The verdict on goods presented at a gate: every rule of RULES, in order; eligible when none blocks.
  // `presented` has check.py's Presented fields (containers, whole_lot, weight_kg, package_count, outside_state
  // "intact" | "damaged", seals_intact); left out or null: not presented. `scannedVersion`: the version the list's
  // barcode was printed for (null when the officer typed the number); `borderGate`: Art 36 instead of Art 35;
  // `rules`: the deployment's rules (rulesFromPage), giamsat's defaults when left out.
  function checkPassage(card, presented, options) {
    var where = at(options, card);
    presented = presented || {};
    var reasons = [];
    RULES.forEach(function (rule) {
      reasons.push.apply(reasons, rule[1](card, presented, where));
    });
    if (where.byAnalogy) reasons.forEach(function (r) { r.by_analogy = true; });
    return {
      eligible: !reasons.some(function (r) {
        return r.severity === BLOCKING;
      }),
      reasons: reasons,
    };
  }

  // --- words ---------------------------------------------------------------------------------------------------

  // Python's `template % params` for these messages: %(name)s is str(params[name]), %% is one percent sign. As
  // lib/i18n.gettext does, a message without parameters is not formatted at all (its %% stays as it is).
  // A placeholder without a parameter stays as written (Python would raise; test_i18n keeps translations whole).
  function format(template, params) {
    params = params || {};
    if (Object.keys(params).length === 0) return template;
    return template.replace(/%\(([^()]*)\)s|%%/g, function (whole, name) {
      if (name === undefined) return "%";
      if (!Object.prototype.hasOwnProperty.call(params, name)) return whole;
      return pyStr(params[name]);
    });
  }

  // str() of a parameter's value: the verdicts' params are text and integers; the rest as Python writes them.
  function pyStr(value) {
    if (value === null || value === undefined) return "None";
    if (value === true) return "True";
    if (value === false) return "False";
    return String(value);
  }

  // The translation of `msgid` in `catalog` (msgid -> text), or the msgid itself (English, or not translated).
  function translate(msgid, catalog) {
    if (catalog && Object.prototype.hasOwnProperty.call(catalog, msgid) && catalog[msgid]) return catalog[msgid];
    return msgid;
  }

  // A reason worded from `catalog`, as Reason.text(language) words it on the server.
  function text(reasonOrMessage, catalog) {
    if (typeof reasonOrMessage === "string") return translate(reasonOrMessage, catalog);
    return format(translate(reasonOrMessage.message, catalog), reasonOrMessage.params);
  }

  // "Blocking", "Warning", "Information" and "Clause 35.2.a.1" from the words block ({blocking, warning, info,
  // clause}); English when no words are given.
  var ENGLISH_WORDS = {
    blocking: "Blocking",
    warning: "Warning",
    info: "Information",
    clause: "Clause %(clause)s",
    clause_analogy: "Clause %(clause)s, applied by analogy: the articles for export goods are not in the procedure text",
  };

  function severityWord(severity, words) {
    return (words && words[severity]) || ENGLISH_WORDS[severity] || String(severity);
  }

  // `byAnalogy`: the reason's by_analogy (an export declaration: the clause is applied by analogy, and says so).
  function clauseText(clause, words, byAnalogy) {
    var key = byAnalogy ? "clause_analogy" : "clause";
    return format((words && words[key]) || ENGLISH_WORDS[key], { clause: clause });
  }

  function readJSONBlock(doc, id) {
    var element = doc && doc.getElementById(id);
    if (!element) return {};
    try {
      return JSON.parse(element.textContent) || {};
    } catch (error) {
      return {};
    }
  }

  function messagesFromPage(doc) {
    return readJSONBlock(doc || scope.document, "gate-check-messages");
  }

  function wordsFromPage(doc) {
    return readJSONBlock(doc || scope.document, "gate-check-words");
  }

  // The deployment's rules of the check, as the page rendered them (check.GateRules); giamsat's defaults without.
  function rulesFromPage(doc) {
    return Object.assign({}, DEFAULT_RULES, readJSONBlock(doc || scope.document, "gate-check-rules"));
  }

  // --- the scanned or typed text -------------------------------------------------------------------------------

  // What a scanned code or a typed number names, as backend.barcodes.payload.decode reads it, without the key:
  // - "GS1.<C|G|T>.<12 digits>.<version>.<key id><signature>" -> {number, version, kind, key_id, typed: false,
  //   signed: false}. The signature is NOT verified on the device (it has no key, and must not have one): the
  //   verdict shown at once is provisional, and the server verifies the signature when the confirmation is
  //   applied, refusing a forged or altered list (barcode_forged) or an unknown key (barcode_unknown_key) there.
  // - a bare 12-digit declaration number, typed when the scanner is broken (Art 35.2.c; spaces and dashes
  //   ignored) -> {number, version: null, kind: null, key_id: null, typed: true, signed: false}: no barcode to
  //   expire. payload.decode takes spaces but not dashes ("3051-2345-6789" is barcode_unknown_format there):
  //   send the server this `number`, never the text as typed.
  // - otherwise {error: "barcode_unreadable" (nothing there) | "barcode_unknown_format", message: its msgid}.
  //   A GS1 code of a kind letter this version does not know is barcode_unknown_format here; the server says so
  //   too when its signature is good (a newer server printed it), and barcode_forged when it is not.
  var KINDS = { C: "container_list", G: "goods_list", T: "transit_notice" };
  // Python's str.split() whitespace (str.isspace), as in iso6346.js.
  var WHITESPACE = /[\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g;
  var DASHES = /-/g;

  // A number typed on a keyboard whose digits are not ASCII (a full-width IME) is the same number (payload.ascii_digits).
  function asciiDigits(chars) {
    var iso = iso6346();
    return chars.map(function (char) { return String(iso.digitValue(char)); }).join("");
  }

  function digitsOnly(chars) {
    var iso = iso6346();
    return chars.every(function (char) {
      return iso.digitValue(char) >= 0;
    });
  }

  // payload.py's _SIGNED, ^GS1\.([A-Z])\.(\d{12})\.([1-9]\d{0,5})\.([A-Z])([A-Z2-7]{16})$, with ASCII digits only:
  // Python's \d also takes other Unicode digits, but no such text is ever signed (a signature is made over ASCII),
  // so the device calls it what it is, not a giamsat barcode (the server cannot verify it either).
  function matchSigned(cleaned) {
    var match = /^GS1\.([A-Z])\.([0-9]{12})\.([1-9][0-9]{0,5})\.([A-Z])([A-Z2-7]{16})$/.exec(cleaned);
    if (match === null) return null;
    return { letter: match[1], number: match[2], version: Number(match[3]), keyId: match[4] };
  }

  function scanError(code) {
    return { error: code, message: SCAN_MESSAGES[code] };
  }

  function parseScan(raw) {
    // A handheld scanner may type with Caps Lock on, or add spaces and a line end.
    var cleaned = String(isNone(raw) ? "" : raw).replace(WHITESPACE, "").toUpperCase();
    if (!cleaned) return scanError("barcode_unreadable");
    var chars = Array.from(cleaned);
    if (chars.length === 12 && digitsOnly(chars)) {
      return { number: asciiDigits(chars), version: null, kind: null, key_id: null, typed: true, signed: false };
    }
    var match = matchSigned(cleaned);
    if (match === null) {
      // A typed number with dashes ("3051-2345-6789"): the officer's own separators.
      var typed = cleaned.replace(DASHES, "");
      if (typed !== cleaned && Array.from(typed).length === 12 && digitsOnly(Array.from(typed))) {
        return { number: asciiDigits(Array.from(typed)), version: null, kind: null, key_id: null, typed: true, signed: false };
      }
      return scanError("barcode_unknown_format");
    }
    if (!Object.prototype.hasOwnProperty.call(KINDS, match.letter)) return scanError("barcode_unknown_format");
    return {
      number: match.number,
      version: match.version,
      kind: KINDS[match.letter],
      key_id: match.keyId,
      typed: false,
      signed: false,
    };
  }

  var api = {
    WEIGHT_TOLERANCE_PERCENT: WEIGHT_TOLERANCE_PERCENT,
    DEFAULT_RULES: DEFAULT_RULES,
    DIRECT_KINDS: DIRECT_KINDS,
    RULES: RULES.map(function (rule) {
      return rule[0];
    }),
    MESSAGES: MESSAGES,
    SCAN_MESSAGES: SCAN_MESSAGES,
    checkPassage: checkPassage,
    text: text,
    format: format,
    severityWord: severityWord,
    clauseText: clauseText,
    messagesFromPage: messagesFromPage,
    wordsFromPage: wordsFromPage,
    rulesFromPage: rulesFromPage,
    parseScan: parseScan,
    kg: kg,
    fixed: fixed,
  };
  scope.giamsatGateCheck = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof self !== "undefined" ? self : globalThis);
