// giamsat print button: [data-print] prints the page (print.css lays it out for A4). The buttons start hidden,
// so a page without this script shows no button that does nothing; the listener is on the document, so pages
// that htmx swaps in later work too.
(function () {
  "use strict";

  function reveal(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll("[data-print][hidden]"), function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (!button) return;
    event.preventDefault();
    window.print();
  });
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:load", function (event) { reveal(event.target); });
  if (document.readyState !== "loading") reveal(document);
})();
