// giamsat ISO 6346 container numbers on the device: the twin of backend/barcodes/iso6346.py, so that the gate
// check (gate-check.js) refuses a mistyped container offline exactly as the server would, with the same hints.
// One global `window.giamsatIso6346`; node loads it with require() (tests/gate/test_check_js.py compares it with
// the Python on valid numbers, every one-character typo of them, and garbage).
//
// Exactly like the Python, character for character, which takes some care:
// - Python's `\s` is str.isspace(): U+001C–U+001F and U+0085 are spaces there and U+FEFF is not; JavaScript's `\s`
//   is the other way round, so the separators are listed.
// - Python's `\d` is any Unicode decimal digit (category Nd) and int() reads them all ("TGHU１２３４５６７" has a
//   shape there), so the device knows the same digits: DIGIT_ZEROS, the zero of each run of ten in Python 3.11's
//   Unicode 14 (node's newer Unicode knows a few more, which Python would not take).
// - Python indexes a string by code point, JavaScript by UTF-16 unit: the number is handled as an array of code
//   points (Array.from), so lengths, swaps and slices agree for characters beyond U+FFFF too.
// Upper-casing is String.prototype.toUpperCase, str.upper()'s twin (both use the full Unicode case mappings; they
// may differ only on characters cased in one Unicode version and not the other).
(function (scope) {
  "use strict";

  var CATEGORIES = "UJZ";

  // Letter values skip multiples of 11 (11, 22, 33), as the standard says.
  var LETTER_VALUES = {};
  (function () {
    var value = 10;
    for (var code = 65; code <= 90; code++) {
      if (value % 11 === 0) value += 1;
      LETTER_VALUES[String.fromCharCode(code)] = value;
      value += 1;
    }
  })();

  // Characters officers confuse when reading a worn container door or typing fast.
  var LOOKALIKES = { "0": "O", O: "0", "1": "I", I: "1", "5": "S", S: "5", "8": "B", B: "8", "2": "Z", Z: "2" };

  // Python's [\s\-./] (see above).
  var SEPARATORS = /[\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\-./]/g;

  // The zero of every run of ten decimal digits (Unicode category Nd) Python 3.11 knows.
  var DIGIT_ZEROS = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0,
    0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620,
    0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0,
    0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60,
    0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
  ];

  // The value of a decimal digit (one code point) as Python's int() reads it, or -1: not a digit.
  function digitValue(char) {
    if (typeof char !== "string" || char === "") return -1;
    var code = char.codePointAt(0);
    if (code >= 0x30 && code <= 0x39) return code - 0x30;
    for (var i = 1; i < DIGIT_ZEROS.length; i++) {
      if (code >= DIGIT_ZEROS[i] && code < DIGIT_ZEROS[i] + 10) return code - DIGIT_ZEROS[i];
    }
    return -1;
  }

  function isDigit(char) {
    return digitValue(char) >= 0;
  }

  function isLetter(char) {
    return char.length === 1 && char >= "A" && char <= "Z";
  }

  // ^[A-Z]{3}[UJZ]\d{7}$ on an array of code points.
  function hasShape(chars) {
    if (chars.length !== 11) return false;
    for (var i = 0; i < 3; i++) if (!isLetter(chars[i])) return false;
    if (chars[3].length !== 1 || CATEGORIES.indexOf(chars[3]) < 0) return false;
    for (var j = 4; j < 11; j++) if (!isDigit(chars[j])) return false;
    return true;
  }

  // Upper case without spaces, dashes, dots or slashes: "tghu 123456-7" -> "TGHU1234567".
  function normalize(text) {
    if (text === null || text === undefined || text === "") return "";
    return String(text).replace(SEPARATORS, "").toUpperCase();
  }

  // The check digit of the first 10 characters (owner, category, serial), given as a string or code points.
  function checkDigit(firstTen) {
    var chars = typeof firstTen === "string" ? Array.from(firstTen) : firstTen;
    var total = 0;
    for (var position = 0; position < chars.length; position++) {
      var char = chars[position];
      var value = isLetter(char) ? LETTER_VALUES[char] : digitValue(char);
      total += value * Math.pow(2, position);
    }
    return (total % 11) % 10;
  }

  function isValid(number) {
    var chars = Array.from(normalize(number));
    return hasShape(chars) && checkDigit(chars.slice(0, 10)) === digitValue(chars[10]);
  }

  // Valid numbers one mistake away: a look-alike character, two neighbours swapped, or a wrong check digit.
  function hints(number, limit) {
    if (limit === undefined) limit = 3;
    number = normalize(number);
    var chars = Array.from(number);
    var found = [];

    function consider(candidate) {
      if (candidate !== number && found.indexOf(candidate) < 0 && isValid(candidate)) found.push(candidate);
    }

    var index, changed;
    for (index = 0; index < chars.length; index++) {
      // look-alikes first: the commonest reading mistake
      if (Object.prototype.hasOwnProperty.call(LOOKALIKES, chars[index])) {
        changed = chars.slice();
        changed[index] = LOOKALIKES[chars[index]];
        consider(changed.join(""));
      }
    }
    for (index = 0; index < chars.length - 1; index++) {
      // two neighbours typed the wrong way round
      changed = chars.slice();
      changed[index] = chars[index + 1];
      changed[index + 1] = chars[index];
      consider(changed.join(""));
    }
    if (chars.length === 11 && hasShape(chars.slice(0, 10).concat("0"))) {
      // only the check digit was mistyped
      consider(chars.slice(0, 10).join("") + String(checkDigit(chars.slice(0, 10))));
    }
    if (chars.length === 10 && hasShape(chars.concat("0"))) {
      // the check digit was left out
      consider(number + String(checkDigit(chars)));
    }
    return found.slice(0, limit);
  }

  // Whether a container number is well formed with the right check digit, and if not, likely meant numbers:
  // {valid, number (normalised), problem ("shape" | "check_digit" | null), expectedCheckDigit, hints}.
  function check(text) {
    var number = normalize(text);
    var chars = Array.from(number);
    if (!hasShape(chars)) {
      return { valid: false, number: number, problem: "shape", expectedCheckDigit: null, hints: hints(number) };
    }
    var expected = checkDigit(chars.slice(0, 10));
    if (expected === digitValue(chars[10])) {
      return { valid: true, number: number, problem: null, expectedCheckDigit: expected, hints: [] };
    }
    return { valid: false, number: number, problem: "check_digit", expectedCheckDigit: expected, hints: hints(number) };
  }

  var api = {
    CATEGORIES: CATEGORIES,
    normalize: normalize,
    checkDigit: checkDigit,
    isValid: isValid,
    hints: hints,
    check: check,
    digitValue: digitValue,
  };
  scope.giamsatIso6346 = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof self !== "undefined" ? self : globalThis);
