/* In-app notifications: /ws/notifications/ pushes each new one; the header's count goes up and a
   toast shows it. Reconnects with backoff and jitter, and re-reads the count from the page when it does. */
(function () {
  "use strict";
  var body = document.body, path = body.dataset.notify;
  if (!path || !window.WebSocket) { return; }
  var attempts = 0;

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
    var body = notification.body || "";
    if (mark && body.indexOf(mark[1]) === 0) { body = body.slice(mark[1].length); item.classList.add("toast-drill"); }
    if (/:declined$/.test(notification.cause || "")) { item.classList.add("toast-declined"); item.setAttribute("role", "alert"); }
    var text = document.createElement("span");
    text.textContent = body;
    item.appendChild(title);
    item.appendChild(text);
    box.appendChild(item);
    while (box.children.length > 3) { box.removeChild(box.firstChild); }  // the newest three; the rest wait in the inbox
    setTimeout(function () { item.remove(); }, 15000);
  }

  function recount() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("notify-badge");
        if (fresh) { setCount(parseInt(fresh.dataset.count || "0", 10)); }
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + path);
    var opened = false;
    socket.onopen = function () { opened = true; if (attempts > 0) { recount(); } attempts = 0; };
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.type !== "notification") { return; }
      var badge = document.getElementById("notify-badge");
      setCount(parseInt((badge && badge.dataset.count) || "0", 10) + 1);
      toast(data);
    };
    socket.onclose = function (closing) {
      if (opened && closing.code === 4403) { window.location.reload(); return; }  // access ended
      if (closing.code === 4000) { attempts = 0; }  // the socket's lifetime: reconnect soon (and recount)
      attempts += 1;
      var ceiling = Math.min(30000, 500 * Math.pow(2, attempts));
      setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    };
  }
  connect();
})();
