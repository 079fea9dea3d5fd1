// The new-workflow wizard: one form, five steps shown one at a time (the others hidden, never
// removed, so nothing typed is lost going back and forth). Next checks the step's own fields;
// the last step sums everything up, marking what becomes fixed once saved.
(function () {
  "use strict";
  var form = document.getElementById("new-workflow");
  if (!form) return;
  var steps = form.querySelectorAll("fieldset.step");
  var nav = document.getElementById("wizard-steps");
  var back = document.getElementById("wizard-back");
  var next = document.getElementById("wizard-next");
  var save = document.getElementById("wizard-save");
  var current = Math.min(Math.max(Number(form.dataset.step) || 1, 1), steps.length);
  var fixed = { cropping: 1, character_set: 1, text_style: 1, ocr_engine: 1, relevant_pages: 1 };

  function valid(step) {
    var fields = steps[step - 1].querySelectorAll("input, select, textarea");
    for (var i = 0; i < fields.length; i++) {
      if (!fields[i].checkValidity()) { fields[i].reportValidity(); return false; }
    }
    return true;
  }

  function value(field) {
    if (field.type === "checkbox") return field.checked ? "yes" : "no";
    if (field.type === "file") return field.files.length ? field.files[0].name : "none";
    if (field.tagName === "SELECT") return field.selectedOptions.length ? field.selectedOptions[0].textContent : "";
    if (field.name === "labels") return field.value.split(/[,\n]/).map(function (l) { return l.trim(); }).filter(Boolean).join(", ");
    return field.value.trim() || "(empty)";
  }

  function summarise() {
    var list = document.getElementById("wizard-summary");
    list.textContent = "";
    for (var s = 0; s < steps.length - 1; s++) {
      steps[s].querySelectorAll("input, select, textarea").forEach(function (field) {
        var term = document.createElement("dt");
        term.textContent = field.dataset.summary || field.name;
        if (fixed[field.name]) {
          var mark = document.createElement("span");
          mark.className = "fixed";
          mark.textContent = "fixed";
          term.append(" ", mark);
        }
        var detail = document.createElement("dd");
        detail.id = "summary-" + field.name;
        detail.textContent = value(field);
        list.append(term, detail);
      });
    }
  }

  function show(step, focus) {
    current = step;
    steps.forEach(function (fieldset, i) { fieldset.hidden = i + 1 !== step; });
    nav.querySelectorAll("button").forEach(function (button) {
      var n = Number(button.dataset.step);
      if (n === step) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    });
    back.hidden = step === 1;
    next.hidden = step === steps.length;
    save.hidden = step !== steps.length;
    if (step === steps.length) summarise();
    if (focus) steps[step - 1].querySelector("legend").focus();
  }

  function go(step) {
    // Forward only through valid steps; back any time.
    for (var s = current; s < step; s++) {
      if (!valid(s)) { show(s, false); valid(s); return; }
    }
    show(step, true);
  }

  nav.hidden = false;
  next.addEventListener("click", function () { go(current + 1); });
  back.addEventListener("click", function () { go(current - 1); });
  nav.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-step]");
    if (button) go(Number(button.dataset.step));
  });
  // Enter in a text field moves on instead of saving half a workflow.
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "INPUT" && current < steps.length) {
      event.preventDefault();
      go(current + 1);
    }
  });
  show(current, false);
})();
