// The upload page: each chosen file is sent on its own request, with a progress bar
// while its bytes go up and an indeterminate one while the server checks and imports
// it; the server's result card for the file is shown as soon as it is back. Without
// this script the form posts all the files at once and the result page shows the same
// cards. The Thai texts come from the form's data-msg-* attributes.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.DOMParser) { return; }
  var input = document.getElementById("files");
  var submit = document.getElementById("upload-submit");
  var progressBox = document.getElementById("upload-progress");
  var list = document.getElementById("upload-list");
  var results = document.getElementById("upload-results");
  var heading = document.getElementById("results-heading");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var busy = false;

  function msg(name, values) {
    var text = form.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(values[key]);
    });
    return text;
  }

  function size(bytes) {
    if (bytes < 1024) { return bytes + " B"; }
    if (bytes < 1024 * 1024) { return (bytes / 1024).toFixed(1) + " KB"; }
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function showError(text) {
    var box = document.getElementById("upload-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "upload-error";
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      form.parentNode.parentNode.insertBefore(box, form.parentNode);
    }
    box.textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }

  function clearError() {
    var box = document.getElementById("upload-error");
    if (box) { box.parentNode.removeChild(box); }
    input.removeAttribute("aria-invalid");
  }

  function row(file) {
    var item = document.createElement("li");
    item.className = "upload-item";
    item.setAttribute("data-phase", "waiting");
    var name = document.createElement("div");
    name.className = "upload-name";
    name.textContent = file.name + " ";
    var small = document.createElement("span");
    small.className = "muted";
    small.textContent = "(" + size(file.size) + ")";
    name.appendChild(small);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var state = document.createElement("div");
    state.className = "upload-state";
    state.textContent = msg("waiting");
    item.appendChild(name);
    item.appendChild(bar);
    item.appendChild(state);
    list.appendChild(item);
    return { item: item, bar: bar, state: state };
  }

  function phase(view, name, text) {
    view.item.setAttribute("data-phase", name);
    view.state.textContent = text;
  }

  // The result cards in the server's answer, or why there are none.
  function answer(xhr) {
    if (xhr.responseURL && /\/login$/.test(new URL(xhr.responseURL).pathname)) {
      return { error: msg("signed-out") };
    }
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var cards = doc.querySelectorAll(".file-result");
    if (cards.length) { return { cards: cards }; }
    var title = doc.querySelector("#upload-error") || doc.querySelector("main h1");
    var text = title ? title.textContent.trim() : "";
    return { error: (text ? text + " " : "") + "(HTTP " + xhr.status + ")" };
  }

  function send(file, view, done) {
    var xhr = new XMLHttpRequest();
    var data = new FormData();
    data.append("files", file, file.name);
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    if (meta) { xhr.setRequestHeader("X-CSRFToken", meta.getAttribute("content")); }
    phase(view, "uploading", msg("sending", { percent: 0, loaded: size(0), total: size(file.size) }));
    xhr.upload.onprogress = function (event) {
      if (!event.lengthComputable) { return; }
      var percent = Math.floor((event.loaded / event.total) * 100);
      view.bar.value = percent;
      phase(view, "uploading", msg("sending", {
        percent: percent, loaded: size(Math.min(event.loaded, file.size)), total: size(file.size)
      }));
    };
    xhr.upload.onload = function () {
      // All bytes are up: the server now checks and imports; how long is unknown.
      view.bar.removeAttribute("value");
      phase(view, "importing", msg("importing"));
    };
    xhr.onload = function () {
      var got = answer(xhr);
      view.bar.value = 100;
      if (got.error) {
        phase(view, "failed", got.error);
      } else {
        var status = got.cards[0].getAttribute("data-status") || "imported";
        phase(view, status, got.cards[0].getAttribute("data-summary") || msg(status));
        heading.hidden = false;
        got.cards.forEach(function (card) { results.appendChild(document.importNode(card, true)); });
      }
      done();
    };
    xhr.onerror = xhr.onabort = xhr.ontimeout = function () {
      view.bar.value = 0;
      phase(view, "failed", msg("failed"));
      done();
    };
    xhr.send(data);
  }

  function warnOnLeave(event) {
    if (!busy) { return undefined; }
    event.preventDefault();
    event.returnValue = msg("busy");
    return event.returnValue;
  }
  window.addEventListener("beforeunload", warnOnLeave);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) { showError(msg("none")); return; }
    clearError();
    busy = true;
    submit.disabled = true;
    input.disabled = true;
    list.textContent = "";
    progressBox.hidden = false;
    var first = results.querySelectorAll(".file-result").length;
    var views = files.map(row);
    var index = 0;
    (function next() {
      if (index >= files.length) {
        busy = false;
        submit.disabled = false;
        input.disabled = false;
        input.value = "";
        var added = results.querySelectorAll(".file-result")[first];
        if (added) { added.scrollIntoView({ block: "nearest" }); }
        return;
      }
      var i = index++;
      send(files[i], views[i], next);
    })();
  });
}());
