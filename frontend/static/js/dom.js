// giamsat page helpers shared by the page scripts (gate-page.js, seals-page.js, replica.js): building elements
// from data, filling the "%(name)s" placeholders of the words a template translated, and reading <meta> values.
(function () {
  "use strict";

  // h("p", {class: "x", "data-y": "1"}, ["text", element]) — pages are built from elements, never from HTML text,
  // so nothing a declaration or a record says can become markup.
  function h(tag, attributes, children) {
    var element = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) return;
      element.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      element.append(child instanceof Node ? child : String(child));
    });
    return element;
  }

  // The templates pass placeholders through as themselves ("%(count)s"); the script fills them.
  function fill(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (all, name) { return name in values ? values[name] : all; });
  }

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.content : "";
  }

  window.giamsatDom = { h: h, fill: fill, meta: meta };
})();
