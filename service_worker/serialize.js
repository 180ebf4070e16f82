// giamsat serialization: a command's payload from a form (docs/offline.md §1), and canonical JSON, the exact
// text a device signs (§4; its Python twin is backend/lib/canonical.py). Loaded by pages, by the service
// worker (importScripts) and by node in tests/service_worker/, as one global `self.giamsatSerialize`.
(function (scope) {
  "use strict";

  // Filled by the page script at submit, sent in the envelope itself, never in the payload.
  var ENVELOPE_FIELDS = { _csrf_token: true, command_id: true, issued_at: true, device_id: true };
  var NOT_DATA = { submit: true, button: true, reset: true, image: true, file: true, fieldset: true, output: true, object: true };

  // "12" -> 12; "" -> null (a blank number is "none", not zero); anything else is kept as the text typed, so
  // the server refuses it with its own words rather than the device guessing.
  function toInt(text) {
    var value = String(text).trim();
    if (value === "") return null;
    if (/^-?\d+$/.test(value)) {
      var number = Number(value);
      if (Number.isSafeInteger(number)) return number;
    }
    return text;
  }

  // "25300", "25300.5", "25300,5" (a Vietnamese keyboard's decimal comma) -> a number; "" -> null; anything else
  // is kept as typed, for the server to refuse in words.
  function toNumber(text) {
    var value = String(text).trim().replace(",", ".");
    if (value === "") return null;
    if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
    return text;
  }

  // "true" / "false" (a hidden field or a select) -> a boolean; "" -> null (not answered).
  function toBool(text) {
    var value = String(text).trim();
    if (value === "") return null;
    return value === "true";
  }

  // The payload of a form: every named, enabled control but the envelope's fields; checkboxes and radios only
  // when checked. data-type="int" makes an integer, "number" a decimal number, "bool" true or false (a checkbox:
  // ticked or not); data-type="list" collects every value of that name (in document order) into an array, empty
  // when none is given; everything else is a string.
  function payloadFromForm(form) {
    var payload = {};
    Array.prototype.forEach.call(form.elements, function (control) {
      var name = control.name;
      if (!name || control.disabled || ENVELOPE_FIELDS[name] || NOT_DATA[control.type]) return;
      var type = control.dataset ? control.dataset.type : undefined;
      if (type === "list" && !Array.isArray(payload[name])) payload[name] = [];
      if (type === "bool" && control.type === "checkbox") {
        payload[name] = control.checked; // a yes/no box says no when it is not ticked
        return;
      }
      if ((control.type === "checkbox" || control.type === "radio") && !control.checked) return;
      var values = control.type === "select-multiple"
        ? Array.prototype.filter.call(control.options, function (option) { return option.selected; }).map(function (option) { return option.value; })
        : [control.value];
      if (type === "list") {
        values.forEach(function (value) { if (value !== "") payload[name].push(value); });
      } else if (type === "int") {
        payload[name] = toInt(values[0] === undefined ? "" : values[0]);
      } else if (type === "number") {
        payload[name] = toNumber(values[0] === undefined ? "" : values[0]);
      } else if (type === "bool") {
        payload[name] = toBool(values[0] === undefined ? "" : values[0]);
      } else {
        payload[name] = values[0] === undefined ? "" : values[0];
      }
    });
    return payload;
  }

  // Canonical JSON (RFC 8785 for the values a command carries): object keys sorted by UTF-16 code units
  // (Array#sort's default), no whitespace, strings and numbers exactly as JSON.stringify writes them.
  // Properties whose value is undefined are left out, as JSON.stringify leaves them out of what is sent.
  function canonicalJSON(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
    if (typeof value === "number") {
      if (!isFinite(value)) throw new TypeError("NaN and Infinity are not JSON");
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) {
      return "[" + value.map(function (item) { return canonicalJSON(item === undefined ? null : item); }).join(",") + "]";
    }
    if (typeof value === "object") {
      var parts = [];
      Object.keys(value).sort().forEach(function (key) {
        if (value[key] === undefined) return;
        parts.push(JSON.stringify(key) + ":" + canonicalJSON(value[key]));
      });
      return "{" + parts.join(",") + "}";
    }
    throw new TypeError(typeof value + " is not a JSON value");
  }

  var api = { payloadFromForm: payloadFromForm, canonicalJSON: canonicalJSON, toInt: toInt, toNumber: toNumber, toBool: toBool };
  scope.giamsatSerialize = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof self !== "undefined" ? self : globalThis);
