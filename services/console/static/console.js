// Keyboard for the labelling and review panes: 1-9 pick a class, Enter confirms, Backspace undoes.
// The page never sees the API key: every request goes to the console with the CSRF header (htmx).
(function () {
  "use strict";

  var typed = "", typedAt = 0;

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && target.type !== "radio");
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var form = document.querySelector("form.keyed");
    if (!form) return;
    if (window.htmx) window.htmx.process(form); // a pane swapped in a moment ago
    if (/^[1-9]$/.test(event.key)) {
      var radios = form.querySelectorAll("input[type=radio]");
      var radio = radios[Number(event.key) - 1];
      if (radio) { radio.checked = true; radio.focus(); event.preventDefault(); }
    } else if (event.key === "Enter") {
      if (event.target && event.target.tagName === "BUTTON" && form.contains(event.target)) return;
      event.preventDefault();
      if (form.querySelector("input[type=radio]:checked")) form.requestSubmit();
    } else if (/^[a-z]$/i.test(event.key)) {
      // Type to filter: the first class whose name starts with what was typed (past the 9 keys).
      typed = (Date.now() - typedAt < 1000 ? typed : "") + event.key.toLowerCase();
      typedAt = Date.now();
      var match = Array.prototype.find.call(form.querySelectorAll("input[type=radio]"), function (r) {
        return r.value.toLowerCase().indexOf(typed) === 0;
      });
      if (match) { match.checked = true; match.focus(); event.preventDefault(); }
    } else if (event.key === "Backspace") {
      var undo = document.getElementById("undo");
      if (undo) { event.preventDefault(); undo.click(); }
    }
  });

  // Upload progress of the training data form (bytes sent).
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("upload-progress");
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });

  // Forms that change something hard to undo (promote, pin, roll back, delete, revoke) ask first.
  // They are plain forms: htmx's hx-confirm asks only before the requests htmx itself makes.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Drag and drop onto a drop zone fills its file input.
  document.addEventListener("dragover", function (event) {
    if (event.target.closest && event.target.closest(".dropzone")) event.preventDefault();
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone) return;
    event.preventDefault();
    var input = zone.querySelector("input[type=file]");
    if (input && event.dataTransfer.files.length) input.files = event.dataTransfer.files;
  });

  // The threshold slider shows its value.
  document.addEventListener("input", function (event) {
    if (event.target.id === "threshold" && event.target.type === "range") {
      var out = document.getElementById("threshold-value");
      if (out) out.textContent = event.target.value;
    }
  });

  // After a pane is swapped in, keep the keyboard on it.
  document.addEventListener("htmx:afterSwap", function () {
    var form = document.querySelector("form.keyed");
    var checked = form && form.querySelector("input[type=radio]:checked");
    if (checked) checked.focus();
    else if (document.activeElement === document.body || !document.contains(document.activeElement)) {
      var pane = document.querySelector(".pane");
      if (pane) { pane.setAttribute("tabindex", "-1"); pane.focus({ preventScroll: true }); }
    }
  });
})();

// Copy buttons (snippets, a minted key).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.dataset.copy);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent.trim()).then(function () { button.textContent = "Copied"; });
  }
});

// Retry: send again only the files a batch refused, from those still chosen in the upload form.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-retry]");
  var form = document.getElementById("upload");
  var input = document.getElementById("files");
  if (!button || !form || !input) return;
  var names = JSON.parse(button.dataset.retry);
  var again = new DataTransfer();
  Array.prototype.forEach.call(input.files, function (file) {
    if (names.indexOf(file.name) >= 0) again.items.add(file);
  });
  if (!again.files.length) { button.textContent = "Choose those files again first"; return; }
  input.files = again.files;
  form.requestSubmit();
});
