/* Linkage pages: ticking countdowns, the "N" shortcut, and a guard that keeps htmx refreshes from
   wiping what someone is typing. Plain JavaScript, no build step. */
(function () {
  "use strict";
  var body = document.body;

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function span(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + two(m) : m) + ":" + two(s);
  }

  // How late, in the element's own words where it has them (data-t-late-min="overdue {n} min",
  // data-t-late-s="overdue {n} s"): whole minutes read at a glance; else "overdue by m:ss".
  function lateText(el, seconds, overdue) {
    var minutes = Math.floor(seconds / 60);
    if (minutes >= 1 && el.dataset.tLateMin) { return el.dataset.tLateMin.replace("{n}", minutes); }
    if (minutes < 1 && el.dataset.tLateS) { return el.dataset.tLateS.replace("{n}", seconds); }
    return overdue + " " + span(seconds);
  }

  // Every <time class="countdown" datetime="..."> shows the time left to its deadline, and says
  // how late in words (not only in red) once it has passed.
  function tick() {
    var now = Date.now();
    var left = body.dataset.tLeft || "{time} left", overdue = body.dataset.tOverdue || "overdue by";
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { return; }
      var seconds = Math.round((due - now) / 1000);
      var late = seconds <= 0;
      el.textContent = late ? lateText(el, -seconds, overdue) : left.replace("{time}", span(seconds));
      el.classList.toggle("late", late);
      var task = el.closest(".task, .chip");
      if (task) { task.classList.toggle("overdue", late); }
    });
  }
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);

  // "N" opens a new incident (dispatchers), unless the key is typed into a field; the intake form
  // focuses its kind field (autofocus, or here when already on it).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "n" && event.key !== "N") { return; }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) { return; }
    var kind = document.getElementById("id_kind");  // already on the intake form: go to its first field
    if (kind && kind.form && kind.form.id === "intake") { event.preventDefault(); kind.focus(); return; }
    if (body.dataset.newIncident) { event.preventDefault(); window.location.assign(body.dataset.newIncident); }
  });
})();
