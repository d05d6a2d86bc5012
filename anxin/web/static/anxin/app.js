// Anxin page behaviour: keyboard shortcuts, submit buttons that disable while sending, toasts.
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    const tag = (e.target.tagName || "").toLowerCase();
    const typing = tag === "input" || tag === "textarea" || tag === "select" || e.target.isContentEditable;
    if (e.key === "/" && !typing) {
      const box = document.querySelector("[data-search]");
      if (box) { e.preventDefault(); box.focus(); }
    } else if (e.altKey && (e.key === "n" || e.key === "N")) {
      const link = document.querySelector("[data-new-order]");
      if (link) { e.preventDefault(); link.click(); }
    } else if (e.key === "Escape") {
      const open = document.querySelectorAll("dialog[open]");
      open.forEach(function (d) { d.close(); });
      const pop = document.querySelector("[data-pop-dismiss]");
      if (!open.length && pop) pop.click();  // Esc closes the screen pop
    }
  });
  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (form.hasAttribute("data-no-disable")) return;
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
      setTimeout(function () { b.disabled = true; }, 0);
    });
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    const form = e.detail.elt;
    if (form && form.querySelectorAll) form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
  });
  window.anxinToast = function (text) {
    const t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text; t.classList.add("show");
    setTimeout(function () { t.classList.remove("show"); }, 4000);
  };
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-toggle-nav]")) document.body.classList.toggle("nav-open");
    const opener = e.target.closest("[data-open-dialog]");
    if (opener) { const d = document.getElementById(opener.dataset.openDialog); if (d) d.showModal(); }
  });
})();
