/* The one socket script (docs/live.md). It owns every WebSocket a page opens, with one connect and
   backoff code path: the page's own events socket (<body data-live="/ws/…/">: board, incident,
   agency) and the notification socket (<body data-notify="/ws/notifications/">) — two endpoints, two
   sockets, one implementation.

   A page event becomes a DOM event on <body>, `linkage:<type>` (detail: DESIGN's envelope); each page
   region (incidents/regions.py) listens for the types that change it (hx-trigger) and fetches its own
   partial, so the browser never derives state itself. On every open the page catches up: the incident
   page asks the timeline API for what came after the last seq it saw and, if anything came, fires
   `linkage:resync` (every region refreshes once); the board and dashboard fire it on every open. While
   not live, a small indicator says so and `linkage:resync` fires every 30 s. A region someone is typing
   in, or has a <details> open in, is not fetched while held and refreshes once when they are done
   (`linkage:retry`); a card in use inside the board's list holds that card only.

   Reconnects: exponential backoff with jitter (0.5 s doubling to 30 s, drawn from the upper half);
   close code 4000 (the socket's lifetime ended) starts the backoff afresh (0.5–1 s); 4403 on a
   socket that had been open (access ended) reloads the page, which then shows what this person may
   see now. */
(function () {
  "use strict";
  var body = document.body;
  if (!window.WebSocket) { return; }
  var MUTE_KEY = "linkage-muted";

  // --- One connection, kept open --------------------------------------------------------------------
  function keepOpen(path, handlers) {
    var attempts = 0, current = null;
    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + path);
      var opened = false, reconnected = attempts > 0;
      current = socket;
      socket.onopen = function () {
        opened = true;
        attempts = 0;
        handlers.open(reconnected);
      };
      socket.onmessage = function (message) {
        var data;
        try { data = JSON.parse(message.data); } catch (e) { return; }
        handlers.message(data);
      };
      socket.onclose = function (closing) {
        if (opened && closing.code === 4403) { window.location.reload(); return; }  // access ended
        if (closing.code === 4000) { attempts = 0; }  // the socket's lifetime: no backing off
        if (handlers.close) { handlers.close(); }
        attempts += 1;
        var ceiling = Math.min(30000, 500 * Math.pow(2, attempts));
        setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
      };
    }
    connect();
    return function () { return current; };
  }

  function fire(name, detail) { body.dispatchEvent(new CustomEvent("linkage:" + name, { detail: detail })); }

  // --- Sound, flash and the tab's mark for what needs someone now ------------------------------------
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

  var fresh = [];  // task ids to flash once their region is back
  function flashFresh() {
    fresh = fresh.filter(function (id) {
      var task = document.getElementById("assignment-" + id);  // a task card, or a board chip
      if (!task) { return true; }
      task.classList.add("flash");
      setTimeout(function () { task.classList.remove("flash"); }, 4000);
      return false;
    });
  }

  // A new task for this agency's dashboard, and a decline on any page (board, incident page).
  var agencyId = parseInt(body.dataset.liveAgency || "0", 10);
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

  // --- Regions: swap only a region's own answer, and not under someone's hands ----------------------
  // A region someone is using (an open <details>, a focused field) is held: it is not fetched while
  // held, and any number of events while held make ONE refresh, when they are done (the details
  // closed, the focus left, the form sent). A list region (board-body) is held only by its own
  // elements: a card in use inside it (a region of its own) is kept as it is, node and all, while the
  // rest of the list is swapped around it; that card refreshes once when released.
  var pending = {};  // region element id -> true: refresh once released
  function usedIn(element) {
    var used = Array.prototype.slice.call(element.querySelectorAll("details[open]"));
    var active = document.activeElement;
    if (active && element.contains(active) && active.matches("input, textarea, select")) { used.push(active); }
    return used;
  }
  // {self: held by its own elements (or a nested region not its direct child), children: held child regions}
  function holds(region) {
    var held = { self: false, children: [] };
    usedIn(region).forEach(function (node) {
      var owner = node.parentElement ? node.parentElement.closest("[data-region]") : null;
      if (node.hasAttribute("data-region")) { owner = node; }
      if (!owner || owner === region) { held.self = true; return; }
      while (owner.parentElement && owner.parentElement !== region) { owner = owner.parentElement; }
      if (!owner.hasAttribute("data-region")) { held.self = true; return; }
      if (held.children.indexOf(owner) < 0) { held.children.push(owner); }
    });
    return held;
  }
  function isRegion(element) { return element && element.hasAttribute && element.hasAttribute("data-region"); }

  body.addEventListener("htmx:beforeRequest", function (event) {
    var region = event.detail.elt;
    if (!isRegion(region) || !holds(region).self) { return; }
    event.preventDefault();  // not fetched while held
    pending[region.id] = true;
  });

  // Swap the list's fresh children around its held child regions, which stay in the page untouched.
  function swapAround(region, html, kept) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var fresh = template.content.firstElementChild;
    if (!fresh || fresh.id !== region.id) { return false; }
    Array.prototype.slice.call(region.childNodes).forEach(function (node) {
      if (kept.indexOf(node) < 0) { region.removeChild(node); }
    });
    var cursor = null;
    Array.prototype.slice.call(fresh.childNodes).forEach(function (node) {
      var held = node.id ? kept.filter(function (k) { return k.id === node.id; })[0] : null;
      if (held) { cursor = held; return; }
      region.insertBefore(node, cursor ? cursor.nextSibling : region.firstChild);
      cursor = node;
      if (node.nodeType === 1 && window.htmx) { window.htmx.process(node); }
    });
    ["htmx:afterSwap", "htmx:afterSettle"].forEach(function (name) {
      region.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: { elt: region } }));
    });
    return true;
  }

  body.addEventListener("htmx:beforeSwap", function (event) {
    var region = event.detail.elt;
    if (!isRegion(region)) { return; }
    if (!event.detail.xhr || event.detail.xhr.status !== 200) { event.detail.shouldSwap = false; return; }
    if (event.detail.xhr.getResponseHeader("X-Linkage-Region") !== region.id) {
      // Not the region (a login page once the session ended): show the page as it is now.
      event.detail.shouldSwap = false;
      window.location.reload();
      return;
    }
    var held = holds(region);
    if (held.self) {  // taken into use while the answer was on its way
      event.detail.shouldSwap = false;
      pending[region.id] = true;
    } else if (held.children.length) {
      event.detail.shouldSwap = false;
      if (swapAround(region, event.detail.xhr.responseText, held.children)) {
        held.children.forEach(function (child) { pending[child.id] = true; });
      } else {
        pending[region.id] = true;
      }
    }
  });

  // Someone is done (a details closed, the focus left, a form sent): each released region once.
  function release() {
    setTimeout(function () {
      Object.keys(pending).forEach(function (id) {
        var region = document.getElementById(id);
        if (!region) { delete pending[id]; return; }
        if (holds(region).self || !window.htmx) { return; }
        delete pending[id];
        window.htmx.trigger(region, "linkage:retry");
      });
    }, 0);
  }
  ["toggle", "focusout", "submit"].forEach(function (name) { document.addEventListener(name, release, true); });
  body.addEventListener("htmx:afterSettle", flashFresh);

  // --- The page's events socket ---------------------------------------------------------------------
  var livePath = body.dataset.live;
  if (livePath) {
    var lastSeq = parseInt(body.dataset.liveSeq || "0", 10);
    var indicator = document.getElementById("live-status");
    var offlinePoll = null;

    var showLive = function (live) {
      if (!indicator) { return; }
      indicator.hidden = false;
      indicator.classList.toggle("offline", !live);
      indicator.textContent = (live ? "● " : "○ ") + (live ? body.dataset.tLive : body.dataset.tOffline);
    };

    // What this page missed while it was not listening (subscribed first, then fetched: nothing falls
    // between the page's rendering and its socket).
    var catchUp = function () {
      var timeline = body.dataset.liveTimeline;
      if (!timeline) { fire("resync", { after: lastSeq }); return; }
      fetch(timeline + "?after=" + lastSeq, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (entries) {
          if (!entries.length) { return; }
          lastSeq = Math.max.apply(null, [lastSeq].concat(entries.map(function (e) { return e.seq; })));
          fire("resync", { after: lastSeq, entries: entries });
        })
        .catch(function () { fire("resync", { after: lastSeq }); });
    };

    var liveSocket = keepOpen(livePath, {
      open: function () {
        showLive(true);
        if (offlinePoll) { clearInterval(offlinePoll); offlinePoll = null; }
        catchUp();
      },
      message: function (event) {
        if (!event.type || event.type === "pong") { return; }
        if (event.seq) { lastSeq = Math.max(lastSeq, event.seq); }
        announce(event);
        fire(event.type, event);
      },
      close: function () {
        showLive(false);
        if (!offlinePoll) { offlinePoll = setInterval(function () { fire("resync", { after: lastSeq }); }, 30000); }
      },
    });
    window.linkageLive = { lastSeq: function () { return lastSeq; }, socket: liveSocket };
  }

  // --- The notification socket: the header's count and a toast for each new one ---------------------
  function setCount(count) {
    var badge = document.getElementById("notify-badge");
    if (!badge) { return; }
    badge.dataset.count = String(count);
    badge.querySelector(".count-pill").textContent = String(count);
    badge.classList.toggle("has-unread", count > 0);
  }

  function toast(notification) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var item = document.createElement("a");
    item.className = "toast";
    item.href = notification.link || "/notifications/";
    var title = document.createElement("strong");
    title.textContent = notification.subject;
    // A drill's subject and body both start with its mark (【演练】/[EXERCISE]): the toast says it once,
    // and looks like a drill.
    var mark = /^(【[^】]+】|\[[A-Z]+\] )/.exec(notification.subject || "");
    var text = notification.body || "";
    if (mark && text.indexOf(mark[1]) === 0) { text = text.slice(mark[1].length); item.classList.add("toast-drill"); }
    if (/:declined$/.test(notification.cause || "")) { item.classList.add("toast-declined"); item.setAttribute("role", "alert"); }
    var span = document.createElement("span");
    span.textContent = text;
    item.appendChild(title);
    item.appendChild(span);
    box.appendChild(item);
    while (box.children.length > 3) { box.removeChild(box.firstChild); }  // the newest three; the rest wait in the inbox
    setTimeout(function () { item.remove(); }, 15000);
  }

  // After a reconnect the count may be stale: read it from a fresh copy of this page (once per
  // reconnect of the notification socket, not per event; the header marks it in the server's logs).
  function recount() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Linkage-Recount": "1" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
      .then(function (html) {
        var badge = new DOMParser().parseFromString(html, "text/html").getElementById("notify-badge");
        if (badge) { setCount(parseInt(badge.dataset.count || "0", 10)); }
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  if (body.dataset.notify) {
    keepOpen(body.dataset.notify, {
      // body[data-notify-live] says the socket is open (tests wait for it; nothing else reads it).
      open: function (reconnected) { body.dataset.notifyLive = "true"; if (reconnected) { recount(); } },
      close: function () { delete body.dataset.notifyLive; },
      message: function (data) {
        if (data.type !== "notification") { return; }
        var badge = document.getElementById("notify-badge");
        setCount(parseInt((badge && badge.dataset.count) || "0", 10) + 1);
        toast(data);
      },
    });
  }
})();
