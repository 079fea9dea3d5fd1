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
      // Another form's button (the stack's "Save the division"): Enter is that button's own.
      if (event.target && event.target.form && event.target.form !== form) return;
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

  // Label by groups: 1-9 labels the checked members of the group holding the focus (the first
  // group when none does) at once; a class's first letters choose it and Enter labels. Focus on a
  // member's checkbox counts (Tab and Space pull the odd ones out first).
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var forms = document.querySelectorAll("form.grouped");
    var target = event.target;
    if (!forms.length || typing(target) && target.type !== "checkbox") return;
    var form = (target.closest && target.closest("form.grouped")) || forms[0];
    var select = form.querySelector("select[name=label]");
    var classes = Array.prototype.slice.call(select.options, 1);
    var status = form.querySelector(".group-status");
    function label() {
      if (!form.querySelector("input[name=sample]:checked")) {
        status.textContent = "Check at least one sample of this group first.";
        return;
      }
      status.textContent = "Labelling " + form.querySelectorAll("input[name=sample]:checked").length + " as " + select.value + "…";
      form.requestSubmit();
    }
    if (/^[1-9]$/.test(event.key)) {
      var chosen = classes[Number(event.key) - 1];
      if (!chosen) return;
      event.preventDefault();
      select.value = chosen.value;
      label();
    } else if (event.key === "Enter" && target.tagName !== "BUTTON") {
      if (!select.value) return;
      event.preventDefault();
      label();
    } else if (/^[a-z_]$/i.test(event.key)) {
      typed = (Date.now() - typedAt < 1000 ? typed : "") + event.key.toLowerCase();
      typedAt = Date.now();
      var match = classes.find(function (o) { return o.value.toLowerCase().indexOf(typed) === 0; });
      if (match) {
        event.preventDefault();
        select.value = match.value;
        status.textContent = match.value + " chosen: Enter labels the checked samples.";
      }
    }
  });

  // The training data form, sent in requests under the API's body cap (data-max-request-bytes):
  // the files in order, each request holding as many as fit (a file too big for any goes alone,
  // to be refused alone), all into one batch (the first request opens it, the others add to it).
  // The batch's bar and one bar per file follow the bytes sent; a request refused whole is said
  // in place with its files and a retry, and the next requests still go.
  var OVERHEAD = 1024; // a file's multipart headers and label field, counted generously

  function requests(files, cap) {
    var budget = cap ? cap - 64 * 1024 : Infinity; // the form's other fields
    var groups = [], size = 0;
    files.forEach(function (file, i) {
      var cost = file.size + OVERHEAD;
      if (!groups.length || size + cost > budget) { groups.push([]); size = 0; }
      groups[groups.length - 1].push(i);
      size += cost;
    });
    return groups;
  }

  function fileBars(files) {
    var list = document.getElementById("file-progress");
    list.textContent = "";
    list.hidden = false;
    return files.map(function (file) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      var bar = document.createElement("progress");
      name.textContent = file.name;
      bar.max = file.size || 1;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload of " + file.name);
      item.append(name, bar);
      list.appendChild(item);
      return bar;
    });
  }

  function post(form, body, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("HX-Request", "true"); // answered with fragments
      xhr.upload.onprogress = function (event) { if (event.lengthComputable) onProgress(event.loaded); };
      xhr.onload = function () { resolve({ status: xhr.status, text: xhr.responseText }); };
      xhr.onerror = function () { resolve({ status: 0, text: "" }); };
      xhr.send(body);
    });
  }

  function show(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var card = holder.firstElementChild;
    if (!card) return null;
    var old = card.id && document.getElementById(card.id); // the batch, as an earlier request left it
    if (old) old.replaceWith(card);
    else document.getElementById("batches").prepend(card);
    if (window.htmx) window.htmx.process(card); // its polling
    return card;
  }

  function refused(message, names) {
    var card = document.createElement("article");
    card.className = "card batch refused";
    var head = document.createElement("h3");
    head.textContent = "Upload refused";
    var text = document.createElement("p");
    text.className = "error";
    text.setAttribute("role", "alert");
    text.textContent = message;
    var files = document.createElement("p");
    files.textContent = "Files: " + names.join(", ") + ". ";
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.dataset.retry = JSON.stringify(names);
    retry.textContent = "Retry these files";
    files.appendChild(retry);
    card.append(head, text, files);
    document.getElementById("batches").prepend(card);
  }

  async function upload(form) {
    var files = Array.prototype.slice.call(document.getElementById("files").files);
    var paths = Array.prototype.map.call(document.querySelectorAll("#paths input"), function (p) { return p.value; });
    var csrf = form.querySelector("input[name=csrf]").value;
    var label = form.querySelector("select[name=label]").value;
    var total = files.reduce(function (sum, f) { return sum + (f.size || 1); }, 0) || 1;
    var bars = fileBars(files);
    var batchBar = document.getElementById("upload-progress");
    var sent = 0, batchId = "";
    batchBar.hidden = false;
    batchBar.value = 0;
    form.querySelector("button[type=submit]").disabled = true;
    for (var group of requests(files, Number(form.dataset.maxRequestBytes) || 0)) {
      var body = new FormData();
      body.append("csrf", csrf);
      body.append("label", label);
      if (batchId) body.append("batch_id", batchId);
      group.forEach(function (i) {
        body.append("files", files[i], files[i].name);
        if (paths.length === files.length) body.append("paths", paths[i]);
      });
      var answer = await post(form, body, function (loaded) {
        var offset = 0; // the files travel in order: each bar takes its share of the bytes
        group.forEach(function (i) {
          bars[i].value = Math.max(0, Math.min(bars[i].max, loaded - offset));
          offset += bars[i].max;
        });
        batchBar.value = Math.round(Math.min(sent + loaded, total) / total * 100);
      });
      group.forEach(function (i) { sent += bars[i].max; });
      batchBar.value = Math.round(Math.min(sent, total) / total * 100);
      var names = group.map(function (i) { return files[i].name; });
      if (answer.status >= 200 && answer.status < 300) {
        group.forEach(function (i) { bars[i].value = bars[i].max; }); // all of it reached the console
        var card = show(answer.text);
        var id = card && card.id.indexOf("batch-") === 0 ? card.id.slice(6) : "";
        batchId = batchId || id;
      } else {
        var said = answer.text ? answer.text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim() : "";
        refused((answer.status ? "Refused (" + answer.status + ")" : "The console did not answer") + (said ? ": " + said.slice(0, 300) : ""), names);
      }
    }
    form.querySelector("button[type=submit]").disabled = false;
  }

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "upload") return;
    event.preventDefault();
    upload(event.target);
  });

  // Forms that change something hard to undo (promote, pin, roll back, delete, revoke) ask first.
  // They are plain forms: htmx's hx-confirm asks only before the requests htmx itself makes.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Drag and drop onto a drop zone fills its file input. A dropped folder is walked
  // (webkitGetAsEntry) and its files go in with their paths inside it (hidden `paths` fields),
  // so its class folders label their files as a zip's do; a folder chosen in #folder likewise.
  function setFiles(input, found) {
    if (!input.multiple) found = found.slice(0, 1);
    var chosen = new DataTransfer();
    found.forEach(function (f) { chosen.items.add(f.file); });
    input.files = chosen.files;
    var box = document.getElementById("paths");
    if (!box) return;
    box.textContent = "";
    if (!found.some(function (f) { return f.path.indexOf("/") >= 0; })) return;
    found.forEach(function (f) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "paths";
      hidden.value = f.path;
      box.appendChild(hidden);
    });
  }

  function walk(entry, found) {
    return new Promise(function (resolve, reject) {
      if (entry.isFile) {
        entry.file(function (file) {
          found.push({ file: file, path: entry.fullPath.replace(/^\//, "") });
          resolve();
        }, reject);
      } else if (entry.isDirectory) {
        var reader = entry.createReader();
        var more = function () { // readEntries answers in chunks, then an empty one
          reader.readEntries(function (children) {
            if (!children.length) { resolve(); return; }
            Promise.all(children.map(function (c) { return walk(c, found); })).then(more, reject);
          }, reject);
        };
        more();
      } else resolve();
    });
  }

  document.addEventListener("dragover", function (event) {
    if (event.target.closest && event.target.closest(".dropzone")) event.preventDefault();
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone) return;
    event.preventDefault();
    var input = zone.querySelector("input[type=file]:not([webkitdirectory])");
    if (!input) return;
    // Entries must be taken while the drop event runs: the DataTransfer empties after it.
    var items = Array.prototype.slice.call(event.dataTransfer.items || []);
    var entries = items.map(function (i) { return i.webkitGetAsEntry ? i.webkitGetAsEntry() : null; });
    var plain = Array.prototype.map.call(event.dataTransfer.files || [], function (f) {
      return { file: f, path: f.name };
    });
    if (entries.length && entries.every(Boolean)) {
      var found = [];
      Promise.all(entries.map(function (e) { return walk(e, found); })).then(function () {
        found.sort(function (a, b) { return a.path < b.path ? -1 : 1; });
        setFiles(input, found);
      }, function () { if (plain.length) setFiles(input, plain); });
    } else if (plain.length) {
      setFiles(input, plain);
    }
  });
  document.addEventListener("change", function (event) {
    var input = document.getElementById("files");
    var box = document.getElementById("paths");
    if (event.target.id === "files" && box) box.textContent = ""; // chosen by hand: no folders
    if (event.target.id === "folder" && input) {
      setFiles(input, Array.prototype.map.call(event.target.files, function (f) {
        return { file: f, path: f.webkitRelativePath || f.name };
      }));
      event.target.value = "";
    }
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

// Copy buttons (snippets, a minted key). The clipboard API exists only in a secure context
// (HTTPS or localhost) and refuses a page without focus; a console served over plain HTTP on an
// intranet host, or a refusal, falls back to selecting the text and the browser's copy command.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.dataset.copy);
  if (!source) return;
  function bySelection() {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    button.textContent = done ? "Copied" : "Selected: press Ctrl+C";
  }
  if (navigator.clipboard && window.isSecureContext) {
    // A clipboard write that neither succeeds nor fails within a second (seen in a headless
    // browser under load) falls back to the selection too, so the button always answers.
    var settled = false;
    var settle = function (then) {
      return function () {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        then();
      };
    };
    var timer = setTimeout(settle(bySelection), 1000);
    navigator.clipboard.writeText(source.textContent.trim()).then(
      settle(function () { button.textContent = "Copied"; }),
      settle(bySelection)
    );
  } else {
    bySelection();
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
  var paths = document.querySelectorAll("#paths input");
  Array.prototype.forEach.call(input.files, function (file, i) {
    if (names.indexOf(file.name) >= 0) again.items.add(file);
    else if (paths[i]) paths[i].remove(); // a dropped folder's paths stay one per file
  });
  if (!again.files.length) { button.textContent = "Choose those files again first"; return; }
  input.files = again.files;
  form.requestSubmit();
});
