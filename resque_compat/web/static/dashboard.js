// resque-compat dashboard: relative times, confirmations, live polling. No framework, no build.
(function () {
  "use strict";

  function ago(date) {
    var s = Math.round((Date.now() - date.getTime()) / 1000), future = s < 0;
    s = Math.abs(s);
    var units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(s / units[i][1]);
      if (n >= 1 || units[i][0] === "second") {
        var text = n + " " + units[i][0] + (n === 1 ? "" : "s");
        return future ? "in " + text : text + " ago";
      }
    }
  }

  function relatize(root) {
    root.querySelectorAll("time.relative").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when.getTime())) { el.textContent = ago(when); }
    });
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) { ev.preventDefault(); }
    var rel = ev.target.closest("time.relative");
    if (rel) { var t = rel.textContent; rel.textContent = rel.title; rel.title = t; }
  });

  function startPolling(link) {
    var href = link.getAttribute("data-poll");
    var main = document.getElementById("main");
    var interval = parseFloat(document.body.getAttribute("data-poll-interval") || "2") * 1000;
    link.parentNode.textContent = "Starting...";
    main.classList.add("polling");
    function poll() {
      fetch(href, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); }
          return r.ok ? r.text() : Promise.reject(r.status);
        })
        .then(function (html) { main.innerHTML = html; relatize(main); })
        .catch(function () {})
        .then(function () { window.setTimeout(poll, interval); });
    }
    window.setTimeout(poll, interval);
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest("a[rel=poll]");
    if (link) { ev.preventDefault(); startPolling(link); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    relatize(document);
    if (/[?&]poll=1/.test(window.location.search)) {
      var link = document.querySelector("a[rel=poll]");
      if (link) { startPolling(link); }
    }
  });
})();
