/* Live pages. A page that sets data-live="/ws/…/" on <body> opens that socket; every event refreshes
   the page's live regions (data-live-regions: element ids) from the server's own rendering, so the
   browser never computes state itself. The socket reconnects by itself (exponential backoff with
   jitter); on every (re)connect the page catches up: the incident page asks the timeline API for what
   came after the last seq it saw, the others refresh. While not live, a small indicator says so and the
   regions refresh every 30 s. A region someone is typing in is refreshed once they are done. */
(function () {
  "use strict";
  var body = document.body;
  var path = body.dataset.live;
  if (!path || !window.WebSocket) { return; }
  var regions = (body.dataset.liveRegions || "").split(/\s+/).filter(Boolean);
  var agencyId = parseInt(body.dataset.liveAgency || "0", 10);
  var lastSeq = parseInt(body.dataset.liveSeq || "0", 10);
  var indicator = document.getElementById("live-status");
  var attempts = 0, socket = null, timer = null, offlinePoll = null, fresh = [];
  var MUTE_KEY = "linkage-muted";

  function showLive(live) {
    if (!indicator) { return; }
    indicator.hidden = false;
    indicator.classList.toggle("offline", !live);
    indicator.textContent = (live ? "● " : "○ ") + (live ? body.dataset.tLive : body.dataset.tOffline);
  }

  function idle(element) { return window.linkageIdle ? window.linkageIdle(element) : true; }

  // Re-render the live regions from a fresh copy of this page.
  function refresh() {
    timer = null;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Linkage-Live": "1" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var busy = false;
        regions.forEach(function (id) {
          var now = document.getElementById(id), next = page.getElementById(id);
          if (!now || !next) { return; }
          if (!idle(now)) { busy = true; return; }
          now.replaceWith(next);
          if (window.htmx) { window.htmx.process(next); }
        });
        fresh.forEach(function (id) {
          var task = document.getElementById("assignment-" + id);  // a task card, or a board chip
          if (task) { task.classList.add("flash"); setTimeout(function () { task.classList.remove("flash"); }, 4000); }
        });
        fresh = [];
        document.dispatchEvent(new CustomEvent("linkage:refreshed"));
        if (busy) { schedule(1500); }
      })
      .catch(function () { schedule(3000); });
  }

  function schedule(delay) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, delay);
  }

  // What this page missed while it was not listening.
  function catchUp() {
    var timeline = body.dataset.liveTimeline;
    if (!timeline) { schedule(50); return; }
    fetch(timeline + "?after=" + lastSeq, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (entries) {
        if (entries.length) {
          lastSeq = Math.max.apply(null, [lastSeq].concat(entries.map(function (e) { return e.seq; })));
          schedule(50);
        }
      })
      .catch(function () { schedule(50); });
  }

  function muted() { try { return localStorage.getItem(MUTE_KEY) === "1"; } catch (e) { return false; } }

  var audio = null;
  function chime() {
    if (muted()) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [880, 660].forEach(function (frequency, index) {
        var oscillator = audio.createOscillator(), gain = audio.createGain(), start = audio.currentTime + index * 0.22;
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.25, start);
        gain.gain.exponentialRampToValueAtTime(0.001, start + 0.2);
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(start);
        oscillator.stop(start + 0.2);
      });
    } catch (e) { /* no sound on this device: the flash still shows */ }
  }

  // A new task for this agency's dashboard, and a decline on any page (board, incident page): flash
  // the task once the region is fresh, sound (unless muted), mark the tab while hidden.
  function announce(event) {
    if (!event.assignment) { return; }
    var declined = event.type === "assignment.declined";
    var ours = event.type === "assignment.created" && event.assignment.agency_id === agencyId;
    if (!declined && !ours) { return; }
    fresh.push(event.assignment.id);
    chime();
    body.classList.add("flash-page");
    setTimeout(function () { body.classList.remove("flash-page"); }, 1500);
    if (document.hidden && document.title.indexOf("● ") !== 0) { document.title = "● " + document.title; }
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && document.title.indexOf("● ") === 0) { document.title = document.title.slice(2); }
  });

  var toggle = document.getElementById("sound-toggle");
  function showSound() {
    if (!toggle) { return; }
    toggle.setAttribute("aria-pressed", muted() ? "false" : "true");
    toggle.textContent = muted() ? toggle.dataset.off : toggle.dataset.on;
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      try { localStorage.setItem(MUTE_KEY, muted() ? "0" : "1"); } catch (e) { /* private mode */ }
      showSound();
    });
    showSound();
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + path);
    var opened = false;
    socket.onopen = function () {
      opened = true;
      attempts = 0;
      showLive(true);
      if (offlinePoll) { clearInterval(offlinePoll); offlinePoll = null; }
      catchUp();  // subscribed first, then fetched: nothing falls between page load and socket
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (!event.seq) { return; }
      lastSeq = Math.max(lastSeq, event.seq);
      announce(event);
      // A burst of events (five agencies brought in) is one refresh; a decline is shown at once.
      schedule(event.type === "assignment.declined" ? 0 : 150);
    };
    socket.onclose = function (closing) {
      // 4403 on an open socket: access ended; the reload shows what this person may see now.
      if (opened && closing.code === 4403) { window.location.reload(); return; }
      if (closing.code === 4000) { attempts = 0; }  // the socket's lifetime: reconnect at once
      showLive(false);
      if (!offlinePoll) { offlinePoll = setInterval(function () { schedule(0); }, 30000); }
      attempts += 1;
      var ceiling = Math.min(30000, 500 * Math.pow(2, attempts));
      setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    };
  }
  connect();
  window.linkageLive = { lastSeq: function () { return lastSeq; }, socket: function () { return socket; } };
})();
