// Passkey ceremonies: sign in (with conditional UI where the browser has it), enroll from a link, add this device.
// Adding a device without a link needs a recent check with one of the officer's passkeys (a step-up): the server
// answers "stepup_required", the page asks for a passkey and tries again.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function postJSON(url, body, signal) {
    return fetch(url, {
      method: "POST",
      signal: signal,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.message || response.statusText);
          error.server = true;
          error.code = data.error;
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

  // Pages arrive by full load or by htmx (hx-boost swaps the body): bind each form once, whichever way.
  function once(form) {
    if (!form || form.dataset.bound) return false;
    form.dataset.bound = "1";
    return true;
  }

  // One sign-in ceremony at a time. The page starts a conditional (autofill) request on load; pressing the
  // button must cancel it first and wait until it has settled: each options call replaces the challenge cookie,
  // so a late conditional answer would make the button's verify fail, and the browser refuses a second
  // navigator.credentials.get while one is pending.
  var ceremony = null; // {controller, verifying, done}

  function startSignIn(form, mode) {
    var controller = new AbortController();
    var current = { controller: controller, verifying: false, done: null };
    current.done = postJSON("/auth/signin/options", {}, controller.signal).then(function (options) {
      var request = { publicKey: requestOptions(options), signal: controller.signal };
      if (mode === "conditional") request.mediation = "conditional";
      return navigator.credentials.get(request);
    }).then(function (credential) {
      // A passkey was chosen: from here on this ceremony is the sign-in, and the button no longer interrupts it.
      current.verifying = true;
      return postJSON("/auth/signin/verify", { credential: credentialJSON(credential), next: form.dataset.next || "/" });
    }).then(function (done) {
      window.location.assign(done.redirect);
    }).finally(function () {
      if (ceremony === current) ceremony = null;
    });
    ceremony = current;
    return current.done;
  }

  function startConditional(form) {
    if (!PublicKeyCredential.isConditionalMediationAvailable) return;
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available || ceremony) return;
      startSignIn(form, "conditional").catch(function () { /* cancelled or dismissed: the button still works */ });
    });
  }

  function signInWithButton(form, message, button) {
    if (ceremony && ceremony.verifying) return; // already signing in with the passkey the officer picked
    var previous = ceremony ? ceremony.done.catch(function () {}) : Promise.resolve();
    if (ceremony) ceremony.controller.abort();
    button.disabled = true;
    message.hidden = true;
    previous.then(function () {
      return startSignIn(form, "required");
    }).catch(function (error) {
      button.disabled = false;
      say(message, error.server ? error.message : message.dataset.failed);
      startConditional(form); // the officer may still pick the passkey from the autofill list
    });
  }

  function setUpSignIn() {
    var form = document.getElementById("signin-form");
    if (!once(form)) return;
    var message = document.getElementById("signin-message");
    if (!window.PublicKeyCredential) { say(message, message.dataset.unsupported); return; }
    var button = document.getElementById("signin-passkey");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      signInWithButton(form, message, button);
    });
    startConditional(form);
  }

  // Confirm with one of the signed-in officer's passkeys (any device: the browser may offer a phone nearby).
  function stepUp() {
    return postJSON("/auth/stepup/options", {}).then(function (options) {
      return navigator.credentials.get({ publicKey: requestOptions(options) });
    }).then(function (credential) {
      return postJSON("/auth/stepup/verify", { credential: credentialJSON(credential) });
    });
  }

  function registrationOptions(body) {
    return postJSON("/auth/register/options", body).catch(function (error) {
      if (error.code !== "stepup_required" || body.enrollment_token) throw error;
      return stepUp().then(function () { return postJSON("/auth/register/options", body); });
    });
  }

  function register(form, message, body) {
    return registrationOptions(body).then(function (options) {
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

  // The link for another device: the server renders the form with data-stepup when the session's last passkey check
  // is not recent; the check comes first, then the form is sent as usual (htmx or not).
  function setUpDeviceLink() {
    var form = document.getElementById("device-link-form");
    if (!once(form)) return;
    var message = document.getElementById("enroll-message");
    form.addEventListener("submit", function (event) {
      if (form.dataset.stepup !== "1" || !window.PublicKeyCredential) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      stepUp().then(function () {
        delete form.dataset.stepup;
        form.requestSubmit();
      }).catch(function (error) {
        say(message, error.server ? error.message : message.dataset.failed);
      });
    }, true);
  }

  function init() {
    setUpSignIn();
    setUpRegistration("enroll-form", true);
    setUpRegistration("add-device-form", false);
    setUpDeviceLink();
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:load", init);
})();
