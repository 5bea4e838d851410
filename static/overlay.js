// The viewer overlay refreshes its panel once a second; a revoked token empties it.
(function () {
  "use strict";
  var root = document.getElementById("overlay");
  if (!root || !window.fetch) return;
  var url = root.getAttribute("data-panel");
  var last = null;
  function refresh() {
    fetch(url, { cache: "no-store" })
      .then(function (r) {
        if (r.status === 404) { root.innerHTML = ""; return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== last) { root.innerHTML = html; last = html; }
      })
      .catch(function () {})
      .then(function () { setTimeout(refresh, 1000); });
  }
  setTimeout(refresh, 1000);
})();
