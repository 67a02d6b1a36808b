// resque-compat dashboard: relative times that tick, confirmations, live updates with a
// remembered pause, the dark-mode toggle and the narrow-screen menu. No framework, no build.
(function () {
  "use strict";

  function store(key, value) {
    try {
      if (value === undefined) { return window.localStorage.getItem(key); }
      window.localStorage.setItem(key, value);
    } catch (e) { /* storage refused: nothing is remembered */ }
    return null;
  }

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
      if (el.getAttribute("data-absolute")) { return; }
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when.getTime())) { el.textContent = ago(when); }
    });
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) { ev.preventDefault(); }
    var rel = ev.target.closest("time.relative");
    if (rel) {
      if (rel.getAttribute("data-absolute")) { rel.removeAttribute("data-absolute"); relatize(rel.parentNode); }
      else { rel.setAttribute("data-absolute", "1"); rel.textContent = rel.getAttribute("title"); }
    }
  });

  // Select-some: "Select all shown" ticks every failure on the page.
  document.addEventListener("change", function (ev) {
    if (ev.target.matches && ev.target.matches("input.pick-all")) {
      document.querySelectorAll("input[name=pick]").forEach(function (box) { box.checked = ev.target.checked; });
    }
  });

  // Live updates: on by default wherever a page can refresh; a pause is remembered.
  var live = { timer: null, href: null };

  function paused() { return store("resque-live") === "paused"; }

  function showLiveState() {
    var button = document.querySelector(".poll button.live");
    if (!button) { return; }
    var on = !paused();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Pause live updates" : "Resume live updates";
    document.getElementById("main").classList.toggle("polling", on);
  }

  function poll() {
    live.timer = null;
    if (paused() || !live.href) { return; }
    var main = document.getElementById("main");
    fetch(live.href, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); }
        return r.ok ? r.text() : Promise.reject(r.status);
      })
      .then(function (html) {
        if (paused()) { return; }
        main.innerHTML = html;
        relatize(main);
        showLiveState();
        document.dispatchEvent(new CustomEvent("resque:updated"));
      })
      .catch(function () {})
      .then(schedule);
  }

  function schedule() {
    if (live.timer === null && !paused() && live.href) {
      var interval = parseFloat(document.body.getAttribute("data-poll-interval") || "2") * 1000;
      live.timer = window.setTimeout(poll, interval);
    }
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest(".poll button.live");
    if (!button) { return; }
    store("resque-live", paused() ? "on" : "paused");
    showLiveState();
    schedule();
  });

  // Theme: follows the system until chosen; the choice is remembered (see theme.js).
  function currentTheme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen) { return chosen; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function showTheme() {
    var button = document.querySelector(".header .theme");
    if (!button) { return; }
    var dark = currentTheme() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
    button.textContent = dark ? "Light" : "Dark";
    button.setAttribute("aria-label", dark ? "Switch to the light theme" : "Switch to the dark theme");
  }

  document.addEventListener("click", function (ev) {
    if (ev.target.closest(".header .theme")) {
      var next = currentTheme() === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      store("resque-theme", next);
      showTheme();
      document.dispatchEvent(new CustomEvent("resque:theme"));
    }
    var menu = ev.target.closest(".header .menu");
    if (menu) {
      var open = document.documentElement.classList.toggle("menu-open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    relatize(document);
    window.setInterval(function () { relatize(document); }, 1000);
    showTheme();
    var spot = document.querySelector("#main [data-poll]");
    if (spot) {
      live.href = spot.getAttribute("data-poll");
      showLiveState();
      schedule();
    }
  });
})();
