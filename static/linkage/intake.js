/* The intake form (/incidents/new/): keyboard intake and one submit per form. The server's one-time
   form token is the real guard against a second incident; this only spares the second request. */
(function () {
  "use strict";
  var form = document.getElementById("intake");
  if (!form) { return; }
  var dispatch = document.getElementById("dispatch");

  // Start where the work is: the first field with an error, else the kind (its autofocus).
  var bad = form.querySelector(".has-error select, .has-error textarea, .has-error input:not([type=hidden])");
  if (bad) { bad.focus(); }

  // htmx swaps the plan preview in while the dispatcher works: focus inside it comes back to the
  // same control (by id, else by name and value), and focus elsewhere is never moved.
  var remembered = null;
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement, target = event.detail.target;
    remembered = null;
    if (active && active !== document.body && target && target.contains(active)) {
      remembered = { id: active.id, name: active.getAttribute("name"), value: active.value };
    }
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    var was = remembered, element = null;
    remembered = null;
    if (!was) { return; }
    if (was.id) { element = document.getElementById(was.id); }
    if (!element && was.name) {
      element = Array.prototype.find.call(form.elements, function (candidate) {
        return candidate.getAttribute("name") === was.name && candidate.value === was.value;
      });
    }
    if (element && document.activeElement !== element) { element.focus(); }
  });

  // Ctrl+Enter (⌘+Enter) dispatches from any field, the description included.
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(dispatch); } else { dispatch.click(); }
    }
  });

  // A double click sends one POST; the button says it is busy until the next page.
  form.addEventListener("submit", function (event) {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () { dispatch.disabled = true; dispatch.setAttribute("aria-busy", "true"); }, 0);
  });
  window.addEventListener("pageshow", function () {  // back to this page from the next one
    delete form.dataset.sent;
    dispatch.disabled = false;
    dispatch.removeAttribute("aria-busy");
  });
})();
