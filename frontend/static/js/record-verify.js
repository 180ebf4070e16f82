// giamsat record QR verifier: is a printed handover record's QR genuine, altered, or signed by a key this
// deployment does not know? Offline: only WebCrypto and the public keys of the `record_keys` replica dataset.
// The twin of backend/seals/record_qr.py `verify` (the format is in docs/record-qr.md):
//   GSR1.<key id>.<base32 payload>.<base32 signature>
// the payload the canonical JSON of the record's fields under one-letter names, the signature ECDSA P-256 with
// SHA-256 over "GSR1.<key id>.<payload>", raw r‖s (64 bytes). Loaded by pages and by node in tests/seals/, as one
// global `self.giamsatRecordVerify`.
(function (scope) {
  "use strict";

  var TEXT = /^GSR1\.([A-Z2-7]{4})\.([A-Z2-7]+)\.([A-Z2-7]{103})$/;
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  var ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
  var NAMES = {
    s: "serial", i: "record_id", k: "kind", d: "declaration", f: "from_branch", t: "to_branch",
    c: "containers", g: "goods", a: "signed_at", cn: "container_count", cd: "containers_digest", gd: "goods_digest"
  };
  var imported = new Map(); // JWK text -> Promise<CryptoKey>: a key is imported once per page

  function subtle() {
    var api = scope.crypto && scope.crypto.subtle;
    if (!api) throw new Error("WebCrypto is not available (the page needs HTTPS or localhost)");
    return api;
  }

  // RFC 4648 base32 without padding; null where Python's base64.b32decode refuses (a length no data has).
  function base32Decode(text) {
    if ([1, 3, 6].indexOf(text.length % 8) !== -1) return null;
    var bytes = new Uint8Array(Math.floor((text.length * 5) / 8));
    var buffer = 0, bits = 0, at = 0;
    for (var index = 0; index < text.length; index++) {
      buffer = (buffer << 5) | ALPHABET.indexOf(text[index]);
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        bytes[at++] = (buffer >> bits) & 0xff;
      }
      buffer &= (1 << bits) - 1;
    }
    return bytes;
  }

  // One text per signature (the twin of record_qr.py): the last base32 character has no spare bits set, and s is
  // the lower of s and n − s (P-256's order n), as giamsat writes them; the other spellings would still verify.
  var HALF_ORDER = "7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8";
  function canonicalSignature(text, bytes) {
    var spare = (text.length * 5) % 8;
    if (spare && (ALPHABET.indexOf(text[text.length - 1]) & ((1 << spare) - 1))) return false;
    var s = Array.prototype.map.call(bytes.slice(32), function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("").toUpperCase();
    return s <= HALF_ORDER;
  }

  function isString(value) { return typeof value === "string"; }
  function isInt(value) { return typeof value === "number" && Number.isInteger(value); }

  // The record's fields from the payload's bytes, named as the Python's RecordFields; null when it is not one.
  function readFields(bytes) {
    var payload;
    try {
      payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (error) {
      return null;
    }
    if (!payload || typeof payload !== "object" || Array.isArray(payload)) return null;
    var fields = {
      serial: null, record_id: null, kind: null, declaration: null, from_branch: null, to_branch: null,
      containers: null, goods: null, signed_at: "", container_count: null, containers_digest: null, goods_digest: null
    };
    var keys = Object.keys(payload);
    for (var index = 0; index < keys.length; index++) {
      if (!Object.prototype.hasOwnProperty.call(NAMES, keys[index])) return null;
      fields[NAMES[keys[index]]] = payload[keys[index]];
    }
    var required = ["serial", "kind", "declaration", "from_branch", "to_branch", "signed_at"];
    if (!required.every(function (name) { return isString(fields[name]); }) || !isInt(fields.record_id)) return null;
    if (fields.goods !== null && !isString(fields.goods)) return null;
    if (fields.container_count !== null && !isInt(fields.container_count)) return null;
    if (fields.containers_digest !== null && !isString(fields.containers_digest)) return null;
    if (fields.goods_digest !== null && !isString(fields.goods_digest)) return null;
    if (fields.containers !== null) {
      if (!Array.isArray(fields.containers)) return null;
      var containers = [];
      for (var c = 0; c < fields.containers.length; c++) {
        var item = fields.containers[c];
        if (!Array.isArray(item) || item.length !== 2 || !isString(item[0]) || !Array.isArray(item[1]) || !item[1].every(isString)) return null;
        containers.push({ number: item[0], seals: item[1].slice() });
      }
      fields.containers = containers;
    }
    return fields;
  }

  // The keys as the `record_keys` dataset gives them: an array of items, the device's stored copy of the dataset
  // ({dataset, cursor, items, ...}), or an object of items by key id.
  function findKey(keys, keyId) {
    if (keys && !Array.isArray(keys) && Array.isArray(keys.items)) keys = keys.items;
    var items = Array.isArray(keys) ? keys : Object.keys(keys || {}).map(function (id) { return keys[id]; });
    for (var index = 0; index < items.length; index++) {
      if (items[index] && items[index].key_id === keyId) return items[index];
    }
    return null;
  }

  function importKey(item) {
    var jwk = { kty: "EC", crv: "P-256", x: item.jwk.x, y: item.jwk.y, ext: true };
    var id = JSON.stringify(jwk);
    if (!imported.has(id)) {
      var promise = subtle().importKey("jwk", jwk, ALGORITHM, false, ["verify"]);
      promise.catch(function () { imported.delete(id); });
      imported.set(id, promise);
    }
    return imported.get(id);
  }

  // verify(text, keys) -> Promise<{status: "genuine"|"altered"|"unknown_signer"|"unreadable", fields, keyId}>.
  // `fields` is what the paper claims (null when it cannot be read); trust it only when status is "genuine".
  function verify(text, keys) {
    return Promise.resolve().then(function () {
      // A handheld scanner may type with Caps Lock on, or add spaces and a line end.
      var cleaned = String(text === undefined || text === null ? "" : text).replace(/\s+/g, "").toUpperCase();
      var match = TEXT.exec(cleaned);
      if (!match) return { status: "unreadable", fields: null, keyId: null };
      var keyId = match[1];
      var payload = base32Decode(match[2]);
      var fields = payload ? readFields(payload) : null;
      var item = findKey(keys, keyId);
      if (!item) return { status: "unknown_signer", fields: fields, keyId: keyId };
      var signature = base32Decode(match[3]);
      if (!signature || signature.length !== 64 || !canonicalSignature(match[3], signature)) return { status: "altered", fields: fields, keyId: keyId };
      var signed = new TextEncoder().encode(cleaned.slice(0, cleaned.length - 104));
      return importKey(item).then(function (key) {
        return subtle().verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, signed);
      }).then(function (good) {
        if (!good) return { status: "altered", fields: fields, keyId: keyId };
        if (!fields) return { status: "unreadable", fields: null, keyId: keyId };
        return { status: "genuine", fields: fields, keyId: keyId };
      });
    });
  }

  // verify() with the keys this device holds: its copy of the `record_keys` dataset (giamsatStore, /sw/store.js).
  // With no copy (never synced, or no IndexedDB) every code is "unknown_signer": sync, then scan again.
  function verifyOnDevice(text) {
    var store = scope.giamsatStore;
    var held = store ? store.get("replica", "record_keys").catch(function () { return null; }) : Promise.resolve(null);
    return held.then(function (record) { return verify(text, record && Array.isArray(record.items) ? record.items : []); });
  }

  function base64url(bytes) {
    var binary = "";
    for (var index = 0; index < bytes.length; index++) binary += String.fromCharCode(bytes[index]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The digest a code carries instead of a long container list (`containers_digest`): base64url SHA-256 of the
  // canonical JSON of [[number, [seals]], ...] in the printed order. Arrays of strings only, for which
  // JSON.stringify writes canonical JSON. Containers as [number, [seals]] or {number, seals}.
  function containersDigest(containers) {
    var list = containers.map(function (item) {
      return Array.isArray(item) ? [String(item[0]), item[1].map(String)] : [String(item.number), (item.seals || []).map(String)];
    });
    return subtle().digest("SHA-256", new TextEncoder().encode(JSON.stringify(list))).then(function (digest) {
      return base64url(new Uint8Array(digest));
    });
  }

  var api = { verify: verify, verifyOnDevice: verifyOnDevice, containersDigest: containersDigest };
  scope.giamsatRecordVerify = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof self !== "undefined" ? self : globalThis);
