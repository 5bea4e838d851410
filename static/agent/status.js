// Refreshes the agent's status panel every second (the page works without it: reload).
(function () {
  "use strict";
  var panel = document.getElementById("panel");
  if (!panel || !window.fetch) return;
  function refresh() {
    fetch("/panel", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { panel.innerHTML = html; })
      .catch(function () {})
      .then(function () { setTimeout(refresh, 1000); });
  }
  setTimeout(refresh, 1000);
})();
