// Order page: close an action dialog without sending it; reopen the one whose submission failed.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    const closer = e.target.closest("[data-close-dialog]");
    if (closer) { const d = closer.closest("dialog"); if (d) d.close(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    const d = document.querySelector("dialog[data-open-on-load]");
    if (d && d.showModal) d.showModal();
  });
})();
