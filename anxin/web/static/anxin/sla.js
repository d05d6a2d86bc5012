// Live SLA clocks: every element with data-deadline (the sla_clock tag of web/templatetags/anxin.py) has its
// "time left / overdue" text recomputed every 30 s in the browser, and turns at risk (data-risk-at)
// or breached when its moment passes. No polling: the deadlines do not move by themselves.
// Wording comes from the translated formats in web/partials/bell.html ([data-sla-formats]).
(function () {
  "use strict";
  var TICK_MS = 30000;

  function fill(fmt, values) {
    return fmt.replace(/%\((\w+)\)s/g, function (_, key) { return key in values ? values[key] : ""; });
  }

  function formats() {
    var el = document.querySelector("[data-sla-formats]");
    if (!el) return null;
    return { left: el.dataset.left, overdue: el.dataset.overdue, hm: el.dataset.hm, m: el.dataset.m };
  }

  function setState(el, state) {
    if (el.dataset.sla === state) return;
    el.classList.remove("on_track", "at_risk", "breached");
    el.classList.add(state);
    el.dataset.sla = state;
    var row = el.closest("tr[class*='row-']");
    if (row) { row.classList.remove("row-on_track", "row-at_risk", "row-breached"); row.classList.add("row-" + state); }
  }

  function tick() {
    var f = formats();
    if (!f) return;
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      if (isNaN(deadline)) return;
      var delta = deadline - now;
      var minutes = Math.floor(Math.abs(delta) / 60000);
      var h = Math.floor(minutes / 60), m = minutes % 60;
      var span = h ? fill(f.hm, { h: h, m: m }) : fill(f.m, { m: m });
      var text = el.querySelector("[data-time-left]");
      if (text) text.textContent = fill(delta >= 0 ? f.left : f.overdue, { span: span });
      if (delta < 0) {
        setState(el, "breached");
      } else if (el.dataset.riskAt && Date.parse(el.dataset.riskAt) <= now) {
        setState(el, "at_risk");
      }
    });
  }

  window.anxinSlaTick = tick;
  if (!window.anxinSlaTicking) {
    window.anxinSlaTicking = setInterval(tick, TICK_MS);
    document.addEventListener("htmx:afterSettle", tick);
  }
})();
