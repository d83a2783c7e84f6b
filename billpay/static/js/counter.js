// The counter page: fee types found as you type, amounts from the catalogue,
// running totals. The form works without this script; it only saves keystrokes.
(function () {
  "use strict";
  var form = document.getElementById("bill-form");
  if (!form) { return; }
  var list = document.getElementById("fee-type-list");
  var tbody = document.querySelector("#items tbody");
  var grand = document.getElementById("grand-total");
  var money = new Intl.NumberFormat("th-TH", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function option(text) {
    text = (text || "").trim();
    if (!text) { return null; }
    var code = text.split(/\s+/)[0].toUpperCase();
    var options = list.options;
    for (var i = 0; i < options.length; i++) {
      if (options[i].value === text || options[i].dataset.code === code) { return options[i]; }
    }
    return null;
  }

  function satang(text) {
    var clean = (text || "").replace(/,/g, "").trim();
    if (!/^\d+(\.\d{1,2})?$/.test(clean)) { return null; }
    var parts = clean.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function recompute() {
    var total = 0;
    tbody.querySelectorAll("tr.item-row").forEach(function (row) {
      var qty = parseInt(row.querySelector(".qty").value, 10) || 0;
      var unit = satang(row.querySelector(".amount").value);
      var cell = row.querySelector(".line-total");
      if (unit === null || !row.querySelector(".fee-type").value.trim()) { cell.textContent = ""; return; }
      total += unit * qty;
      cell.textContent = money.format((unit * qty) / 100);
    });
    grand.textContent = money.format(total / 100);
  }

  function applyFeeType(input, quiet) {
    var row = input.closest("tr");
    var amount = row.querySelector(".amount");
    var opt = option(input.value);
    if (!opt) { amount.readOnly = false; recompute(); return; }
    input.value = opt.value;
    if (opt.dataset.kind === "fixed") {
      amount.value = opt.dataset.amount;
      amount.readOnly = true;
    } else {
      amount.readOnly = false;
      if (!satang(amount.value)) { amount.value = ""; }
      if (!quiet) { amount.focus(); }
    }
    recompute();
  }

  tbody.addEventListener("change", function (event) {
    if (event.target.classList.contains("fee-type")) { applyFeeType(event.target); }
    else { recompute(); }
  });
  tbody.addEventListener("input", function (event) {
    if (event.target.classList.contains("fee-type") && option(event.target.value) &&
        event.target.value.indexOf(" — ") > 0) {
      applyFeeType(event.target);  // picked from the suggestions
    } else {
      recompute();
    }
  });

  document.getElementById("add-item").addEventListener("click", function () {
    var rows = tbody.querySelectorAll("tr.item-row");
    if (rows.length >= 20) { return; }
    var index = rows.length;
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelector("td").textContent = String(index + 1);
    copy.querySelectorAll("input, label").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/items-\d+-/, "items-" + index + "-")); }
      });
      if (el.tagName === "LABEL") { el.textContent = el.textContent.replace(/\d+$/, String(index + 1)); }
      if (el.tagName === "INPUT") {
        el.value = el.classList.contains("qty") ? "1" : "";
        el.readOnly = false;
        el.removeAttribute("aria-invalid");
      }
    });
    copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    copy.querySelector(".line-total").textContent = "";
    tbody.appendChild(copy);
    copy.querySelector(".fee-type").focus();
  });

  var issue = document.getElementById("issue");
  form.addEventListener("submit", function () {
    issue.disabled = true;  // one bill per Enter, even on a double press
  });
  window.addEventListener("pageshow", function () { issue.disabled = false; });

  tbody.querySelectorAll(".fee-type").forEach(function (input) {
    if (input.value) { applyFeeType(input, true); }
  });
  recompute();
})();
