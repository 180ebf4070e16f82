// giamsat signed actions, the device side of docs/offline.md §4 (the server's side: backend/journal/signing.py).
//
// A command type listed in <meta name="signed-commands"> is signed with the officer's passkey when submitted,
// before it is queued, so it can be signed offline: the challenge is SHA-256(nonce ‖ canonical JSON of the
// envelope's device_id, id, issued_at, payload, type), where the nonce comes from a stock the server issued to
// this officer earlier (single use, valid for days). The stock is topped up whenever the device is online.
// Needs /sw/store.js and /sw/serialize.js. Words come from #signing-strings (base.html).
(function () {
  "use strict";

  var store = window.giamsatStore;
  var serialize = window.giamsatSerialize;
  if (!store || !serialize || !window.indexedDB || !window.crypto || !crypto.subtle) return;

  var STOCK = 20;
  // A nonce must still be valid when the command reaches the server, not only when it is signed.
  var MARGIN_MS = 10 * 60 * 1000;
  var LOCK = "giamsat-nonces";
  var SIGNED_FIELDS = ["device_id", "id", "issued_at", "payload", "type"];

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.content : "";
  }
  function signedTypes() {
    return meta("signed-commands").split(",").map(function (name) { return name.trim(); }).filter(Boolean);
  }
  function isSigned(type) {
    return signedTypes().indexOf(type) >= 0;
  }
  function strings() {
    var element = document.getElementById("signing-strings");
    return element ? element.dataset : {};
  }

  // One context at a time takes from or adds to the stock: two tabs must never sign with the same nonce.
  function locked(work) {
    if (navigator.locks) return navigator.locks.request(LOCK, work);
    return work();
  }

  // --- base64url ----------------------------------------------------------------------------------------------

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The assertion as py_webauthn reads it: toJSON() where the browser has it (Chrome 129, Safari 18), else the
  // same shape by hand.
  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: {},
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
    ["clientDataJSON", "authenticatorData", "signature", "userHandle"].forEach(function (key) {
      if (response[key]) out.response[key] = toBase64url(response[key]);
    });
    return out;
  }

  // --- the stock ------------------------------------------------------------------------------------------------

  // The server's "now" as this device best knows it (the queue measures the offset on every sync).
  function serverNow() {
    return store.getMeta("clock_offset_ms").then(function (offset) { return Date.now() + (typeof offset === "number" ? offset : 0); });
  }

  function usable(officer, now) {
    return function (row) { return row.officer_code === officer && Date.parse(row.expires_at) > now + MARGIN_MS; };
  }

  // How many nonces this officer can still sign with on this device.
  function stock(officer) {
    return Promise.all([store.all("nonces"), serverNow()]).then(function (values) {
      return values[0].filter(usable(officer, values[1])).length;
    });
  }

  // Takes one nonce out of the stock for good (expired ones are dropped on the way). The one that stays valid
  // longest is taken: offline, the command may reach the server days later.
  function take(officer) {
    return locked(function () {
      return Promise.all([store.all("nonces"), serverNow()]).then(function (values) {
        var now = values[1];
        var expired = values[0].filter(function (row) { return Date.parse(row.expires_at) <= now; });
        var mine = values[0].filter(usable(officer, now)).sort(function (a, b) { return Date.parse(b.expires_at) - Date.parse(a.expires_at); });
        var chosen = mine[0] || null;
        var gone = expired.concat(chosen ? [chosen] : []);
        return Promise.all(gone.map(function (row) { return store.remove("nonces", row.nonce); })).then(function () { return chosen; });
      });
    });
  }

  function credentialIds(officer) {
    return store.getMeta("credential_ids").then(function (all) { return (all && all[officer]) || []; });
  }

  var topping = null;

  // Tops this officer's stock up to STOCK nonces. Only online, only when some command must be signed, and only
  // for the officer the server says is signed in (a page opened offline may be another officer's old copy).
  function topUp() {
    if (topping) return topping;
    var officer = meta("officer-code");
    if (!navigator.onLine || !officer || !signedTypes().length) return Promise.resolve(null);
    topping = Promise.all([stock(officer), credentialIds(officer)]).then(function (values) {
      var wanted = STOCK - values[0];
      if (wanted <= 0 && values[1].length) return null;
      return fetchJSON("GET", "/api/v1/sync/status").then(function (status) {
        if (!status || status.officer_code !== officer) return null;
        return store.getMeta("csrf_token").then(function (csrf) {
          return fetchJSON("POST", "/api/v1/signing/nonces", { count: Math.max(wanted, 1) }, csrf || meta("csrf-token"));
        }).then(function (answer) {
          if (!answer) return null;
          return locked(function () {
            var rows = (answer.nonces || []).map(function (item) { return { nonce: item.nonce, officer_code: officer, expires_at: item.expires_at }; });
            return Promise.all(rows.map(function (row) { return store.put("nonces", row); })).then(function () {
              return store.getMeta("credential_ids");
            }).then(function (all) {
              all = Object.assign({}, all || {});
              all[officer] = answer.credential_ids || [];
              return store.setMeta("credential_ids", all);
            });
          }).then(function () { return stock(officer); });
        });
      });
    }).catch(function (error) {
      // Offline after all, or the session ended: the stock stays as it is and is topped up next time.
      console.warn("giamsat: signing nonces not topped up", error);
      return null;
    }).then(function (result) {
      topping = null;
      return result;
    });
    return topping;
  }

  function fetchJSON(method, url, body, csrf) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (csrf) headers["X-CSRF-Token"] = csrf;
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      cache: "no-store",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.ok ? response.json() : null;
    });
  }

  // --- signing -------------------------------------------------------------------------------------------------

  // An error whose message is what the officer reads; `code`: no_nonce | cancelled | unsupported | failed.
  function SigningError(code) {
    var words = strings();
    var text = { no_nonce: words.noNonce, cancelled: words.cancelled, unsupported: words.unsupported }[code] || words.failed;
    var error = new Error(text || code);
    error.name = "SigningError";
    error.code = code;
    error.userMessage = text || code;
    return error;
  }

  function challengeFor(nonce, envelope) {
    var signed = {};
    SIGNED_FIELDS.forEach(function (name) { signed[name] = envelope[name]; });
    var text = new TextEncoder().encode(serialize.canonicalJSON(signed));
    var prefix = fromBase64url(nonce);
    var bytes = new Uint8Array(prefix.length + text.length);
    bytes.set(prefix, 0);
    bytes.set(text, prefix.length);
    return crypto.subtle.digest("SHA-256", bytes);
  }

  // Signs the envelope in place (envelope.signature = {nonce, credential}); resolves with it, or rejects with a
  // SigningError. Any change to the signed fields afterwards breaks the signature; `offline` is not signed.
  function sign(envelope, officer) {
    if (!window.PublicKeyCredential || !navigator.credentials) return Promise.reject(SigningError("unsupported"));
    return take(officer).then(function (nonce) {
      // Online with an empty stock (the first page load's top-up still under way): ask the server now.
      if (nonce || !navigator.onLine) return nonce;
      return topUp().then(function () { return take(officer); });
    }).then(function (nonce) {
      if (!nonce) throw SigningError("no_nonce");
      return Promise.all([challengeFor(nonce.nonce, envelope), credentialIds(officer)]).then(function (values) {
        return navigator.credentials.get({
          publicKey: {
            challenge: values[0],
            rpId: location.hostname,
            // Empty when the device never learnt them: the browser then offers any passkey of this site.
            allowCredentials: values[1].map(function (id) { return { type: "public-key", id: fromBase64url(id) }; }),
            userVerification: "required",
            timeout: 60000,
          },
        });
      }).then(function (credential) {
        if (!credential) throw SigningError("cancelled");
        envelope.signature = { nonce: nonce.nonce, credential: credentialJSON(credential) };
        topUp();
        return envelope;
      }).catch(function (error) {
        // Not used: back in the stock, so that an officer who cancels offline does not lose a signature.
        return locked(function () { return store.put("nonces", nonce); }).then(function () {
          if (error && error.name === "SigningError") throw error;
          console.warn("giamsat: passkey assertion failed", error);
          throw SigningError(error && (error.name === "NotAllowedError" || error.name === "AbortError") ? "cancelled" : "failed");
        });
      });
    });
  }

  window.giamsatSigning = { STOCK: STOCK, isSigned: isSigned, sign: sign, topUp: topUp, stock: stock, SigningError: SigningError };

  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("[data-sync-now]")) topUp();
  });
  window.addEventListener("online", function () { topUp(); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { topUp(); });
  else topUp();
})();
