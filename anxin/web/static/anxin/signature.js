// Signature pad: the customer signs on a <canvas> with a finger, pen or mouse; the drawing is kept
// as a PNG data URL in the pad's hidden input (name="signature"). No library.
(function () {
  "use strict";

  function init(pad) {
    const canvas = pad.querySelector("[data-signature-canvas]");
    const input = pad.querySelector("[data-signature-input]");
    const clear = pad.querySelector("[data-signature-clear]");
    if (!canvas || !input) return;
    const ctx = canvas.getContext("2d");
    let drawing = false;
    let last = null;

    function setup() {
      // Backing store at (at most) 2× the CSS size: sharp on phones, small enough as a PNG.
      const ratio = Math.min(Math.max(window.devicePixelRatio || 1, 1), 2);
      const w = canvas.clientWidth || 300;
      const h = canvas.clientHeight || 150;
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, w, h);
      ctx.lineWidth = 2.4;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
    }

    function restore() {
      // After a refused submit the page comes back with the signature: draw it again.
      if (!input.value || input.value.indexOf("data:image/png;base64,") !== 0) return;
      const img = new Image();
      img.onload = function () { ctx.drawImage(img, 0, 0, canvas.clientWidth, canvas.clientHeight); };
      img.src = input.value;
      pad.dataset.signed = "1";
    }

    function point(e) {
      const r = canvas.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    }

    function save() {
      input.value = canvas.toDataURL("image/png");
      pad.dataset.signed = "1";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    canvas.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      drawing = true;
      last = point(e);
      if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = "#111";
      ctx.fill();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      e.preventDefault();
      const p = point(e);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    });
    function end(e) {
      if (!drawing) return;
      drawing = false;
      if (canvas.releasePointerCapture && e && e.pointerId !== undefined) {
        try { canvas.releasePointerCapture(e.pointerId); } catch (err) { /* already released */ }
      }
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);

    if (clear) {
      clear.addEventListener("click", function () {
        setup();
        input.value = "";
        delete pad.dataset.signed;
      });
    }

    setup();
    restore();
    if (window.ResizeObserver) {
      // The pad may start hidden (SMS chosen) or the phone may rotate: size it to what is shown.
      let size = canvas.clientWidth + "x" + canvas.clientHeight;
      new ResizeObserver(function () {
        const now = canvas.clientWidth + "x" + canvas.clientHeight;
        if (now === size || !canvas.clientWidth) return;
        size = now;
        setup();
        restore();
      }).observe(canvas);
    }
  }

  function start() {
    document.querySelectorAll("[data-signature-pad]").forEach(init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
