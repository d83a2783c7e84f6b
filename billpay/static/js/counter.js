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

  // A returning payer: their 13-digit ID finds the name, address and phone on the
  // office's newest bill for them; only empty fields are filled, nothing is overwritten.
  // Enter in the ID field looks them up and moves on (to the first fee type when found,
  // else to the name) instead of submitting a bill without a name.
  var payerId = document.getElementById("payer_id");
  var payerName = document.getElementById("payer_name");
  var payerNote = document.getElementById("payer-found");
  var lookup = { id: null, promise: null };

  function digits(text) { return (text || "").replace(/\D/g, ""); }

  function note(text, kind) {
    payerNote.textContent = text;
    payerNote.classList.remove("found", "failed");
    if (kind) { payerNote.classList.add(kind); }
  }

  function fillPayer(data) {
    if (digits(payerId.value) !== data.payer_id) { return; }  // typed on meanwhile
    [["payer_name", data.payer_name], ["payer_address", data.payer_address],
     ["payer_phone", data.payer_phone]].forEach(function (pair) {
      var input = document.getElementById(pair[0]);
      if (input && pair[1] && !input.value.trim()) { input.value = pair[1]; }
    });
    note(form.dataset.payerFound.replace("{ref1}", data.last_ref1)
         .replace("{date}", data.last_issued), "found");
  }

  function findPayer(id) {
    if (lookup.id !== id) {
      lookup.id = id;
      lookup.promise = fetch(form.dataset.payerUrl + "?payer_id=" + encodeURIComponent(id), {
        headers: { Accept: "application/json" }, credentials: "same-origin"
      }).then(function (response) {
        if (response.status !== 200 && response.status !== 400) { throw new Error(response.status); }
        return response.json();
      });
      lookup.promise.then(function (data) {
        if (data.found) { fillPayer(data); }
        else if (data.message) { note(data.message, "failed"); }
        else { note(form.dataset.payerNew, null); }
      }, function () {
        lookup.id = null;  // try again on the next key
        note(form.dataset.payerFailed, "failed");
      });
    }
    return lookup.promise;
  }

  function firstFeeType() {
    var inputs = tbody.querySelectorAll(".fee-type");
    for (var i = 0; i < inputs.length; i++) { if (!inputs[i].value.trim()) { return inputs[i]; } }
    return inputs[0];
  }

  if (payerId && payerNote) {
    payerId.addEventListener("input", function () {
      var id = digits(payerId.value);
      if (id.length === 13) { findPayer(id); }
    });
    payerId.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();
      var id = digits(payerId.value);
      if (id.length !== 13) { payerName.focus(); return; }
      findPayer(id).then(function (data) {
        (data.found && payerName.value.trim() ? firstFeeType() : payerName).focus();
      }, function () { payerName.focus(); });
    });
  }

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
