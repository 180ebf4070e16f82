// Passkey ceremonies: sign in (with conditional UI where the browser has it), enroll from a link, add this device.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.message || response.statusText);
          error.server = true;
          throw error;
        }
        return data;
      });
    });
  }

  // base64url <-> ArrayBuffer, for browsers without parse*OptionsFromJSON / toJSON.
  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }
  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    var options = Object.assign({}, json, { challenge: toBuffer(json.challenge), user: Object.assign({}, json.user, { id: toBuffer(json.user.id) }) });
    options.excludeCredentials = (json.excludeCredentials || []).map(function (c) { return Object.assign({}, c, { id: toBuffer(c.id) }); });
    return options;
  }
  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    var options = Object.assign({}, json, { challenge: toBuffer(json.challenge) });
    options.allowCredentials = (json.allowCredentials || []).map(function (c) { return Object.assign({}, c, { id: toBuffer(c.id) }); });
    return options;
  }
  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var response = credential.response, out = { id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type, response: {}, clientExtensionResults: credential.getClientExtensionResults() };
    ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"].forEach(function (key) {
      if (response[key]) out.response[key] = toBase64url(response[key]);
    });
    if (response.getTransports) out.response.transports = response.getTransports();
    return out;
  }

  function say(element, text) {
    if (!element) return;
    element.textContent = text;
    element.hidden = false;
  }

  var conditionalAbort = null;

  function signIn(form, message, mediation) {
    return postJSON("/auth/signin/options").then(function (options) {
      var request = { publicKey: requestOptions(options) };
      if (mediation === "conditional") {
        conditionalAbort = new AbortController();
        request.mediation = "conditional";
        request.signal = conditionalAbort.signal;
      }
      return navigator.credentials.get(request);
    }).then(function (credential) {
      return postJSON("/auth/signin/verify", { credential: credentialJSON(credential), next: form.dataset.next || "/" });
    }).then(function (done) {
      window.location.assign(done.redirect);
    });
  }

  // Pages arrive by full load or by htmx (hx-boost swaps the body): bind each form once, whichever way.
  function once(form) {
    if (!form || form.dataset.bound) return false;
    form.dataset.bound = "1";
    return true;
  }

  function setUpSignIn() {
    var form = document.getElementById("signin-form");
    if (!once(form)) return;
    var message = document.getElementById("signin-message");
    if (!window.PublicKeyCredential) { say(message, message.dataset.unsupported); return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (conditionalAbort) conditionalAbort.abort();
      signIn(form, message, "required").catch(function (error) {
        say(message, error.server ? error.message : message.dataset.failed);
      });
    });
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (available) signIn(form, message, "conditional").catch(function () { /* the officer may still press the button */ });
      });
    }
  }

  function register(form, message, body) {
    return postJSON("/auth/register/options", body).then(function (options) {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }).then(function (credential) {
      var label = form.elements.namedItem("label").value || navigator.platform || "passkey";
      return postJSON("/auth/register/verify", { credential: credentialJSON(credential), label: label });
    }).then(function (done) {
      window.location.assign(body.enrollment_token ? done.redirect : window.location.pathname);
    }).catch(function (error) {
      say(message, error.server ? error.message : message.dataset.failed);
    });
  }

  function setUpRegistration(formId, tokenFromForm) {
    var form = document.getElementById(formId);
    if (!once(form)) return;
    var message = document.getElementById("enroll-message");
    if (!window.PublicKeyCredential) { say(message, message.dataset.unsupported); return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      register(form, message, tokenFromForm ? { enrollment_token: form.dataset.token } : {});
    });
  }

  function init() {
    setUpSignIn();
    setUpRegistration("enroll-form", true);
    setUpRegistration("add-device-form", false);
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:load", init);
})();
