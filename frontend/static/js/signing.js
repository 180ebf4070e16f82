// giamsat signed actions, the device side of docs/offline.md §4 (the server's side: backend/journal/signing.py).
//
// A command type listed in <meta name="signed-commands"> is signed with the officer's passkey when submitted,
// before it is queued, so it can be signed offline: the challenge is SHA-256(ticket ‖ canonical JSON of the
// envelope's device_id, id, issued_at, payload, type). The ticket is the server's, issued to this officer for
// this device: it signs any number of actions for 14 days (each bound to one command id, which the server
// applies once) and is renewed once a day whenever the device is online, so a device never runs out in a shift.
// Single-use nonces of the first version, if the device still holds some, are used (once each) when no ticket is.
// Needs /sw/store.js, /sw/serialize.js and /sw/queue.js. Words come from #signing-strings (base.html).
(function () {
  "use strict";

  var store = window.giamsatStore;
  var serialize = window.giamsatSerialize;
  if (!store || !serialize || !window.indexedDB || !window.crypto || !crypto.subtle) return;

  var STOCK = 1; // a ticket signs any number of actions: one is a full stock
  // A ticket must still be valid when the action is made (the server compares it with the action's time).
  var MARGIN_MS = 10 * 60 * 1000;
  // Online, ask for the day's ticket once the one held is this old (the server renews after a day; asking more
  // often only gets the same one back).
  var RENEW_AFTER_MS = 12 * 60 * 60 * 1000;
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
  function deviceId() {
    return window.giamsat && window.giamsat.deviceId ? window.giamsat.deviceId() : "web";
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

  // --- the ticket ------------------------------------------------------------------------------------------------

  // The server's "now" as this device best knows it (the queue measures the offset on every sync).
  function serverNow() {
    return store.getMeta("clock_offset_ms").then(function (offset) { return Date.now() + (typeof offset === "number" ? offset : 0); });
  }

  // Rows of the "nonces" store: tickets {nonce, officer_code, device_id, issued_at, expires_at, reusable: true}
  // and the first version's single-use nonces {nonce, officer_code, expires_at}.
  function usable(officer, now) {
    return function (row) { return row.officer_code === officer && Date.parse(row.expires_at) > now + MARGIN_MS; };
  }
  function isTicketFor(officer, device) {
    return function (row) { return row.reusable && row.officer_code === officer && row.device_id === device; };
  }
  function newestFirst(a, b) { return Date.parse(b.expires_at) - Date.parse(a.expires_at); }

  function held(officer) {
    return Promise.all([store.all("nonces"), serverNow()]).then(function (values) {
      var rows = values[0].filter(usable(officer, values[1]));
      return {
        ticket: rows.filter(isTicketFor(officer, deviceId())).sort(newestFirst)[0] || null,
        single: rows.filter(function (row) { return !row.reusable; }).sort(newestFirst),
        now: values[1],
      };
    });
  }

  // How many actions this officer can still sign on this device: any number with a ticket.
  function stock(officer) {
    return held(officer).then(function (h) { return h.ticket ? Number.MAX_SAFE_INTEGER : h.single.length; });
  }
  function ready(officer) {
    return stock(officer).then(function (n) { return n > 0; });
  }

  // What to sign the next action with: the ticket (it stays), else a single-use nonce taken out for good (the
  // one valid longest; expired rows are dropped on the way). Null when there is neither.
  function take(officer) {
    return locked(function () {
      return Promise.all([store.all("nonces"), held(officer)]).then(function (values) {
        var h = values[1];
        var expired = values[0].filter(function (row) { return Date.parse(row.expires_at) <= h.now; });
        var chosen = h.ticket || h.single[0] || null;
        var gone = expired.concat(chosen && !chosen.reusable ? [chosen] : []);
        return Promise.all(gone.map(function (row) { return store.remove("nonces", row.nonce); })).then(function () { return chosen; });
      });
    });
  }

  function credentialIds(officer) {
    return store.getMeta("credential_ids").then(function (all) { return (all && all[officer]) || []; });
  }

  var renewing = null;

  // Gets the day's ticket for the signed-in officer on this device. Only online, only when some command must
  // be signed, and only when the one held is missing or half a day old. The answer says whose ticket it is: a
  // page opened offline may be another officer's old copy, and the ticket is stored for the session's officer.
  // The CSRF token is read from the cookie (queue.js), which a browser restart renews, never a stored copy.
  function topUp(force) {
    if (renewing) return renewing;
    var officer = meta("officer-code");
    if (!navigator.onLine || !officer || !signedTypes().length) return Promise.resolve(null);
    var device = deviceId();
    renewing = Promise.all([held(officer), credentialIds(officer)]).then(function (values) {
      var ticket = values[0].ticket;
      var fresh = ticket && Date.parse(ticket.issued_at) > values[0].now - RENEW_AFTER_MS;
      if (fresh && values[1].length && !force) return null;
      var csrf = window.giamsatQueue ? window.giamsatQueue.csrfToken() : Promise.resolve(meta("csrf-token"));
      return csrf.then(function (token) {
        return fetchJSON("POST", "/api/v1/signing/ticket", { device_id: device }, token || meta("csrf-token"));
      }).then(function (answer) {
        if (!answer || !answer.ticket || !answer.officer_code) return null;
        var row = {
          nonce: answer.ticket.nonce,
          officer_code: answer.officer_code,
          device_id: device,
          issued_at: answer.ticket.issued_at,
          expires_at: answer.ticket.expires_at,
          reusable: true,
        };
        return locked(function () {
          return store.all("nonces").then(function (rows) {
            // The officer's older tickets for this device make way for the new one.
            var older = rows.filter(isTicketFor(row.officer_code, device)).filter(function (other) { return other.nonce !== row.nonce; });
            return Promise.all(older.map(function (other) { return store.remove("nonces", other.nonce); }));
          }).then(function () {
            return store.put("nonces", row);
          }).then(function () {
            return store.getMeta("credential_ids");
          }).then(function (all) {
            all = Object.assign({}, all || {});
            all[row.officer_code] = answer.credential_ids || [];
            return store.setMeta("credential_ids", all);
          });
        }).then(function () { return row; });
      });
    }).catch(function (error) {
      // Offline after all, or the session ended: the ticket held stays, and the next page load online asks again.
      console.warn("giamsat: signing ticket not renewed", error);
      return null;
    }).then(function (result) {
      renewing = null;
      return result;
    });
    return renewing;
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
      // Online without a ticket (the first page load's request still under way, or lost): ask the server now.
      if (nonce || !navigator.onLine) return nonce;
      return topUp(true).then(function () { return take(officer); });
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
        return envelope;
      }).catch(function (error) {
        // A single-use nonce not used goes back, so that an officer who cancels offline does not lose it.
        var back = nonce.reusable ? Promise.resolve() : locked(function () { return store.put("nonces", nonce); });
        return back.then(function () {
          if (error && error.name === "SigningError") throw error;
          console.warn("giamsat: passkey assertion failed", error);
          throw SigningError(error && (error.name === "NotAllowedError" || error.name === "AbortError") ? "cancelled" : "failed");
        });
      });
    });
  }

  window.giamsatSigning = { STOCK: STOCK, isSigned: isSigned, sign: sign, topUp: topUp, stock: stock, ready: ready, SigningError: SigningError };

  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("[data-sync-now]")) topUp();
  });
  window.addEventListener("online", function () { topUp(); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { topUp(); });
  else topUp();
})();
