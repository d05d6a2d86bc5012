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

  // The Content-Security-Policy (decision 0034) allows no inline script, on*= handler or style=
  // attribute, so the small behaviours templates need are declared with data attributes here.
  function showIf(root) {
    // data-show-if="name=value": shown only while the form's control `name` has that value.
    root.querySelectorAll("[data-show-if]").forEach(function (el) {
      const rule = el.dataset.showIf;
      const cut = rule.indexOf("=");
      const form = el.closest("form");
      const control = form && form.elements[rule.slice(0, cut)];
      if (control) el.hidden = control.value !== rule.slice(cut + 1);
    });
  }
  function paint(root) {
    // data-colour="#d97706": a user-chosen badge colour, set through the CSSOM (allowed by the CSP).
    root.querySelectorAll("[data-colour]").forEach(function (el) { el.style.backgroundColor = el.dataset.colour; });
  }
  function enhance(root) {
    if (!root || !root.querySelectorAll) return;
    showIf(root);
    paint(root);
  }
  document.addEventListener("change", function (e) {
    const el = e.target;
    if (el.matches("[data-autosubmit]") && el.form) el.form.submit();  // e.g. the language switch
    if (el.matches("[data-bulk-all]") && el.form) {
      el.form.querySelectorAll("[data-bulk-id]").forEach(function (box) { box.checked = el.checked; });
    }
    if (el.form) showIf(el.form);
  });
  document.addEventListener("htmx:load", function (e) { enhance(e.target); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  else enhance(document);
})();
