// Runs before the page paints: the chosen theme (remembered) and the flags the stylesheet keys on.
(function () {
  "use strict";
  var root = document.documentElement, theme = null;
  try { theme = window.localStorage.getItem("resque-theme"); } catch (e) { /* storage refused */ }
  if (theme === "dark" || theme === "light") { root.setAttribute("data-theme", theme); }
  root.classList.add("js", "js-menu");
})();
