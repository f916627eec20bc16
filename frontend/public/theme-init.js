// Sets the colour theme before the first paint, so a dark page never flashes white (and a light
// one never flashes dark). A blocking same-origin script: allowed by `script-src 'self'`, unlike
// an inline one. Keep in step with src/lib/theme.ts (same key, same values).
(function () {
  var preference = "system";
  try {
    var stored = window.localStorage.getItem("lockgate.theme");
    if (stored === "light" || stored === "dark") preference = stored;
  } catch (e) {
    // storage blocked: follow the system
  }
  var dark =
    preference === "dark" ||
    (preference === "system" && !!window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  var root = document.documentElement;
  root.setAttribute("data-theme", dark ? "dark" : "light");
  root.setAttribute("data-theme-preference", preference);
})();
