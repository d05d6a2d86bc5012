// Sale form: "Add row" clones the last item row (up to 30) and renumbers its fields.
(function () {
  var button = document.querySelector("[data-add-item]");
  if (!button) return;
  button.addEventListener("click", function () {
    var body = document.querySelector("[data-item-rows]");
    var count = document.querySelector("[data-item-count]");
    var rows = body.querySelectorAll("[data-item-row]");
    if (rows.length >= 30) return;
    var index = rows.length;
    var clone = rows[rows.length - 1].cloneNode(true);
    clone.setAttribute("data-item-row", index);
    clone.classList.remove("has-error");
    clone.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    clone.querySelector("td").textContent = index + 1;
    clone.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace(/^items-\d+-/, "items-" + index + "-");
      el.value = el.name.endsWith("-quantity") ? "1" : "";
    });
    body.appendChild(clone);
    count.value = index + 1;
  });
})();
