// livectl dashboard: the live socket, silent session renewal, dialogs and small form helpers.
// No inline script anywhere (strict CSP): everything hooks in from here. Text that comes from
// TikTok or from devices is untrusted and is only ever set with textContent.
(function () {
  "use strict";

  var body = document.body;
  var meta = function (name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : null;
  };
  var csrf = meta("csrf-token");

  // The page's words for what this script writes, in the page's language (data-* attributes of
  // #js-strings, filled from the server's catalogue): T("js-copied"), T("js-refused", {status: 403}).
  var strings = document.getElementById("js-strings");
  function T(key, vars) {
    var text = (strings && strings.getAttribute("data-" + key)) || key;
    if (vars) {
      Object.keys(vars).forEach(function (name) {
        text = text.split("{" + name + "}").join(String(vars[name]));
      });
    }
    return text;
  }

  // ---- toasts and announcements ---------------------------------------------------------
  var toastTimer = null;
  function toast(message) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 8000);
  }
  function announce(message) {
    var el = document.getElementById("announce");
    if (el) el.textContent = message;
  }

  // ---- htmx: CSRF header on every request, errors in words --------------------------------
  document.addEventListener("htmx:configRequest", function (e) {
    if (csrf) e.detail.headers["X-CSRF-Token"] = csrf;
  });
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    var text = T("js-refused", { status: xhr.status });
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var msg = doc.querySelector("[data-error-message]");
      if (msg) text = msg.textContent;
    } catch (_) { /* keep the generic text */ }
    toast(text);
  });
  document.addEventListener("htmx:sendError", function () {
    toast(T("js-unreachable"));
  });

  // ---- session renewal: one tab at a time (Web Locks), before the access cookie runs out ----
  var expiresAt = Number(meta("session-expires") || 0);
  var renewTimer = null;
  function scheduleRenewal() {
    if (!expiresAt) return;
    clearTimeout(renewTimer);
    var wait = Math.max(1000, (expiresAt - 60) * 1000 - Date.now());
    renewTimer = setTimeout(renew, wait);
  }
  function sharedExpiry() {
    var v = Number(localStorage.getItem("livectl.session_expires") || 0);
    return isFinite(v) ? v : 0;
  }
  function renewOnce() {
    // Another tab may have renewed while this one waited for the lock: adopt its result.
    if (sharedExpiry() - Date.now() / 1000 > 120) {
      expiresAt = sharedExpiry();
      return Promise.resolve();
    }
    return fetch("/auth/session/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf || "" }
    }).then(function (res) {
      if (res.ok) {
        return res.json().then(function (j) {
          expiresAt = j.expires_at;
          localStorage.setItem("livectl.session_expires", String(j.expires_at));
        });
      }
      if (res.status === 409) { // another tab won the race a moment ago
        expiresAt = Math.max(sharedExpiry(), Date.now() / 1000 + 120);
        return;
      }
      if (res.status === 401) {
        expiresAt = 0;
        toast(T("js-session-ended"));
        window.location.href = "/login?reason=expired&next=" + encodeURIComponent(location.pathname);
      }
    });
  }
  function renew() {
    var run = navigator.locks && navigator.locks.request
      ? navigator.locks.request("livectl-session-renewal", renewOnce)
      : renewOnce();
    Promise.resolve(run).catch(function () {
      expiresAt = Date.now() / 1000 + 90; // network trouble: try again soon
    }).then(scheduleRenewal);
  }
  scheduleRenewal();

  // ---- dialogs (never window.confirm: it is blocked in OBS docks and background tabs) -------
  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog"));
      if (dialog && dialog.showModal) {
        e.preventDefault();
        dialog.showModal();
        var cancel = dialog.querySelector("[autofocus]");
        if (cancel) cancel.focus();
      }
      return;
    }
    var closer = e.target.closest("[data-close-dialog]");
    if (closer) {
      var d = closer.closest("dialog");
      if (d) d.close();
      return;
    }
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy"));
      if (!source) return;
      var text = source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { announce(T("js-copied")); });
      } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        announce(T("js-selected"));
      }
    }
  });

  // ---- forms whose fields follow a choice ----------------------------------------------------
  function showFieldsFor(select) {
    var value = select.value;
    var form = select.form || document;
    form.querySelectorAll("[data-for-event]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-event").split(" ").indexOf(value) < 0;
    });
  }
  function followDevice(picker) {
    var form = picker.form;
    if (!form) return;
    var commands = form.querySelector("[data-command-picker]");
    var chosen = picker.value;
    if (commands) {
      var first = null;
      commands.querySelectorAll("optgroup").forEach(function (group) {
        var mine = group.getAttribute("data-device") === chosen;
        group.hidden = !mine;
        group.disabled = !mine;
        if (mine && !first) first = group.querySelector("option");
      });
      var current = commands.selectedOptions[0];
      if ((!current || current.parentElement.disabled) && first) first.selected = true;
    }
    var option = picker.selectedOptions[0];
    var duration = form.querySelector('[name="duration_ms"]');
    if (option && duration) {
      var max = option.getAttribute("data-max");
      duration.max = max;
      var cap = document.getElementById("duration-cap");
      if (cap) cap.textContent = T("js-at-most", { max: max });
    }
  }
  function enhanceForms(root) {
    root.querySelectorAll("[data-shows-fields]").forEach(function (s) {
      showFieldsFor(s);
      s.addEventListener("change", function () { showFieldsFor(s); });
    });
    root.querySelectorAll("[data-device-picker]").forEach(function (p) {
      followDevice(p);
      p.addEventListener("change", function () { followDevice(p); });
    });
  }
  enhanceForms(document);

  // Forms whose consequence must be read first (rotate, revoke, delete): an in-page dialog,
  // never window.confirm. Without script the consequence is written beside the button.
  var confirmed = null;
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var text = form.getAttribute && form.getAttribute("data-confirm");
    if (!text || confirmed === form) { confirmed = null; return; }
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || !dialog.showModal) return;
    e.preventDefault();
    e.stopPropagation(); // htmx (on the form itself) must not send it yet
    document.getElementById("confirm-text").textContent = text;
    var yes = document.getElementById("confirm-yes");
    yes.onclick = function () {
      dialog.close();
      confirmed = form;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    };
    dialog.showModal();
  }, true);

  // The member's own kill-switch shortcut (opt-in, account preferences): it only ever engages.
  var shortcut = document.body.getAttribute("data-kill-shortcut");
  if (shortcut) {
    document.addEventListener("keydown", function (e) {
      var key = /^Key[A-Z]$/.test(e.code) ? e.code.slice(3)
        : /^Digit[0-9]$/.test(e.code) ? e.code.slice(5)
        : /^F([1-9]|1[0-2])$/.test(e.key) ? e.key : null;
      if (!key) return;
      var combo = (e.ctrlKey ? "Ctrl+" : "") + (e.altKey ? "Alt+" : "") +
        (e.shiftKey ? "Shift+" : "") + (e.metaKey ? "Meta+" : "") + key;
      if (combo !== shortcut) return;
      var button = document.getElementById("kill-switch");
      if (!button || button.disabled || button.getAttribute("data-state") === "engaged") return;
      e.preventDefault();
      var form = button.form;
      form.requestSubmit ? form.requestSubmit(button) : form.submit();
    });
  }

  // The kill switch answers at once: "Stopping…" until the server confirms.
  document.addEventListener("submit", function (e) {
    var button = e.target.querySelector("#kill-switch");
    if (button) {
      button.setAttribute("aria-busy", "true");
      button.textContent = T("js-stopping");
    }
  });

  // ---- the dock: keep a phone's screen on (secure contexts only: https or localhost) -------
  var wakeButton = document.getElementById("wake-lock");
  if (wakeButton && "wakeLock" in navigator && window.isSecureContext) {
    var lock = null;
    var wanted = false;
    var acquire = function () {
      navigator.wakeLock.request("screen").then(function (l) {
        lock = l;
        wakeButton.setAttribute("aria-pressed", "true");
        wakeButton.textContent = T("js-screen-on");
        l.addEventListener("release", function () {
          wakeButton.setAttribute("aria-pressed", "false");
          wakeButton.textContent = T("js-keep-screen-on");
        });
      }).catch(function () { toast(T("js-wake-refused")); });
    };
    wakeButton.hidden = false;
    wakeButton.addEventListener("click", function () {
      wanted = !wanted;
      if (wanted) acquire(); else if (lock) { lock.release(); lock = null; }
    });
    document.addEventListener("visibilitychange", function () {
      if (wanted && document.visibilityState === "visible") acquire();
    });
  }

  // ---- the workspace's live socket -----------------------------------------------------------
  var workspace = body.getAttribute("data-workspace");
  if (!workspace) return;

  var conn = document.getElementById("conn");
  var feed = document.getElementById("feed");
  var feedStatus = document.getElementById("feed-status");
  var MAX_ROWS = 500;
  var paused = false;
  var held = [];
  var lastConfirmed = Date.now(); // the page itself was rendered from the server's state

  function setConn(state, text) {
    if (!conn) return;
    conn.setAttribute("data-state", state);
    conn.textContent = text;
  }
  function clock(ms) {
    var d = ms ? new Date(ms) : new Date();
    return d.toLocaleTimeString(document.documentElement.lang || undefined);
  }

  function applyStopped() {
    var safety = document.getElementById("safety");
    var engaged = !!safety && safety.getAttribute("data-engaged") === "true";
    body.setAttribute("data-stopped", engaged ? "true" : "false");
    var title = body.getAttribute("data-page-title") || "";
    var name = body.getAttribute("data-workspace-name") || "";
    document.title = engaged ? T("js-stopped") + " · " + title + " · " + name : title + " · " + name + " · livectl";
    document.querySelectorAll("[data-disabled-when-stopped]").forEach(function (el) {
      el.disabled = engaged;
      var why = document.getElementById(el.getAttribute("aria-describedby") || "");
      if (why) {
        why.textContent = engaged
          ? T("js-disabled-stopped")
          : T("js-send-test-why");
      }
    });
  }
  applyStopped();
  document.addEventListener("htmx:afterSettle", function (e) {
    applyStopped();
    enhanceForms(e.target);
  });

  var pending = {};
  function refresh(selector, delay) {
    // Coalesce bursts (100 events/s must not become 100 requests/s).
    if (pending[selector]) return;
    pending[selector] = setTimeout(function () {
      delete pending[selector];
      document.querySelectorAll(selector).forEach(function (el) {
        var url = el.getAttribute("data-part");
        if (url && window.htmx) htmx.ajax("GET", url, { target: el, swap: "outerHTML" });
      });
    }, delay || 150);
  }
  function resync() {
    refresh("[data-part]");
  }

  function category(kind, type) {
    if (kind === "command") return "command";
    if (type === "comment" || type === "gift" || type === "like") return type;
    if (type === "follow" || type === "share" || type === "join" || type === "super_fan") return "social";
    return "status";
  }
  function deviceName(id) {
    var card = document.querySelector('[data-device-id="' + CSS.escape(id) + '"] strong');
    return card ? card.textContent : id;
  }
  function row(kind, idAttr, id, cat, problem, parts) {
    var li = document.createElement("div");
    li.className = "row";
    li.setAttribute("data-kind", kind);
    if (idAttr) li.setAttribute(idAttr, id);
    li.setAttribute("data-category", cat);
    li.setAttribute("data-problem", problem ? "true" : "false");
    var time = document.createElement("time");
    time.textContent = clock();
    li.appendChild(time);
    parts.forEach(function (p) {
      var span = document.createElement("span");
      span.className = p[0];
      span.textContent = p[1];
      li.appendChild(span);
    });
    return li;
  }
  // ---- why? traces, by event ----
  var traces = new Map();
  var whyFor = null;
  function ruleName(id) {
    var el = document.querySelector('[data-rule-id="' + CSS.escape(id) + '"] strong');
    return el ? el.textContent : (id === "draft" ? "this draft" : id);
  }
  function commandStatus(id) {
    var row = id && document.querySelector('#feed [data-command-id="' + CSS.escape(id) + '"] .status');
    return row ? row.textContent : null;
  }
  function renderWhy() {
    var list = document.getElementById("why-lines");
    if (!list || !whyFor) return;
    list.textContent = "";
    var lines = traces.get(whyFor);
    if (!lines) {
      var wait = document.createElement("li");
      wait.textContent = T("js-waiting-engine");
      list.appendChild(wait);
      return;
    }
    if (lines.length === 0) {
      var none = document.createElement("li");
      none.textContent = T("js-no-rules");
      list.appendChild(none);
    }
    lines.forEach(function (l) {
      var li = document.createElement("li");
      li.className = l.matched ? "fired" : "skipped";
      li.setAttribute("data-trace-rule", l.rule_id);
      li.setAttribute("data-matched", l.matched ? "true" : "false");
      var name = document.createElement("strong");
      name.textContent = (l.matched ? "✓ " : "✗ ") + ruleName(l.rule_id);
      li.appendChild(name);
      // The reason in the page's language when the server sent it as a message (l.why).
      var reason = l.why && strings && strings.hasAttribute("data-" + l.why.id) ? T(l.why.id, l.why.args) : l.reason;
      li.appendChild(document.createTextNode(": " + reason));
      var status = commandStatus(l.command_id);
      if (status) li.appendChild(document.createTextNode(" → " + status));
      list.appendChild(li);
    });
  }
  function openWhy(eventId, summary) {
    var dialog = document.getElementById("why-dialog");
    if (!dialog) return;
    whyFor = eventId;
    document.getElementById("why-event").textContent = summary;
    renderWhy();
    dialog.showModal();
  }

  function eventRow(ev) {
    var p = ev.payload || {};
    var user = p.user ? (p.user.nickname || p.user.unique_id || "") : "";
    var what;
    switch (ev.event_type) {
      case "comment": what = "“" + (p.text || "") + "”"; break;
      case "gift": what = T("js-sent-gift", { gift: p.gift_name || T("js-a-gift"), count: p.repeat_count || 1, diamonds: p.total_diamonds || 0 }); break;
      case "like": what = T("js-liked", { count: p.count || 1 }); break;
      case "viewer_count": what = T("js-viewers", { count: p.viewers || 0 }); break;
      case "stream_status": what = T("js-stream", { status: p.status || "" }); break;
      default: what = T("js-event-" + ev.event_type.replace(/_/g, "-"));
    }
    var parts = [["who", user], ["what", what]];
    if (ev.simulated) parts.push(["badge", T("js-test")]);
    var li = row("event", "data-event-id", ev.id, category("event", ev.event_type), false, parts);
    var why = document.createElement("button");
    why.type = "button";
    why.className = "link why-button";
    why.textContent = T("js-why");
    why.setAttribute("aria-label", T("js-why-label", { what: what }));
    why.addEventListener("click", function () { openWhy(ev.id, (user ? user + " " : "") + what); });
    li.appendChild(why);
    return li;
  }
  var PROBLEMS = { rejected: 1, failed: 1, expired: 1, busy: 1, undeliverable: 1, blocked: 1 };
  function commandRow(c) {
    var latency = c.acked_at && c.issued_at ? " · " + (c.acked_at - c.issued_at) + " ms" : "";
    var parts = [
      ["what", c.cmd + " " + c.duration_ms + " ms → " + deviceName(c.device_id)],
      ["status status-" + c.status, T("js-status-" + c.status.replace(/_/g, "-")) + latency]
    ];
    if (c.detail) parts.push(["detail", c.detail]);
    return row("command", "data-command-id", c.id, "command", !!PROBLEMS[c.status], parts);
  }
  function noticeRow(text) {
    return row("notice", null, null, "status", true, [["what", text]]);
  }

  function visible(li) {
    var only = document.getElementById("only-problems");
    if (only && only.checked && li.getAttribute("data-problem") !== "true") return false;
    var box = document.querySelector('[data-filter="' + li.getAttribute("data-category") + '"]');
    return !box || box.checked;
  }
  function applyFilters() {
    if (!feed) return;
    feed.querySelectorAll(".row").forEach(function (li) { li.hidden = !visible(li); });
  }
  document.querySelectorAll("[data-filter], #only-problems").forEach(function (box) {
    box.addEventListener("change", applyFilters);
  });
  var pauseButton = document.getElementById("feed-pause");
  function showHeld() {
    if (feedStatus) feedStatus.textContent = paused ? T("js-held", { count: held.length }) : "";
  }
  if (pauseButton) {
    pauseButton.addEventListener("click", function () {
      paused = !paused;
      pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
      pauseButton.textContent = paused ? T("js-resume") : T("js-pause");
      if (!paused) { held.splice(0).forEach(prepend); }
      showHeld();
    });
  }
  function prepend(li) {
    if (!feed) return;
    li.hidden = !visible(li);
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > MAX_ROWS) feed.removeChild(feed.lastChild);
  }
  function add(li) {
    if (feedStatus && !paused) feedStatus.textContent = "";
    if (paused) { held.push(li); if (held.length > MAX_ROWS) held.shift(); showHeld(); return; }
    prepend(li);
  }

  function onFrame(frame) {
    lastConfirmed = Date.now();
    switch (frame.type) {
      case "event":
        add(eventRow(frame.event));
        if (frame.event.event_type === "stream_status") {
          refresh("#livestreams");
          refresh("#checklist");
        } else {
          refresh("#livestreams", 2000); // counters and viewers, at most every 2 s
        }
        break;
      case "command":
        add(commandRow(frame.command));
        if (PROBLEMS[frame.command.status]) announce(T("js-command-problem", { status: T("js-status-" + frame.command.status.replace(/_/g, "-")), detail: frame.command.detail || frame.command.cmd }));
        // The outcome reaches the database a moment after it reaches this socket.
        refresh("#checklist", 1000);
        refresh("#devices", 1000);
        refresh('[data-refresh-on~="command"]', 1000);
        break;
      case "kill_switch":
        // Flip at once from the frame; the full banner (who, when, why) follows from the server.
        var safety = document.getElementById("safety");
        var button = document.getElementById("kill-switch");
        if (safety && button) {
          safety.setAttribute("data-engaged", frame.engaged ? "true" : "false");
          safety.classList.toggle("engaged", !!frame.engaged);
          button.setAttribute("data-state", frame.engaged ? "engaged" : "released");
          button.textContent = frame.engaged ? "⛔ " + T("js-stopped") : "■ " + T("js-stop-all");
          applyStopped();
        }
        refresh("#safety", 10);
        announce(frame.engaged ? T("js-engaged-announce") : T("js-released-announce"));
        add(noticeRow((frame.engaged ? T("js-engaged") : T("js-released")) + (frame.reason ? ": " + frame.reason : "")));
        break;
      case "device":
        refresh("#devices");
        refresh('[data-refresh-on~="device"]');
        refresh("#checklist");
        break;
      case "rule":
        refresh("#rules");
        refresh("#checklist");
        break;
      case "livestream":
        refresh("#livestreams");
        refresh("#checklist");
        break;
      case "trace":
        traces.set(frame.event_id, frame.results);
        if (traces.size > MAX_ROWS) traces.delete(traces.keys().next().value);
        if (whyFor === frame.event_id) renderWhy();
        break;
      case "lagged":
        add(noticeRow(T("js-lagged", { count: frame.dropped })));
        resync();
        break;
    }
  }

  var socket = null;
  var backoff = 500;
  var everOpen = false;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/workspaces/" + encodeURIComponent(workspace) + "/feed" + (feed ? "?trace=1" : ""));
    socket.onopen = function () {
      backoff = 500;
      lastConfirmed = Date.now();
      setConn("live", T("js-live"));
      // Whatever happened while away (or since the page was rendered, if that was a while
      // ago): re-read it. A page rendered a moment ago is already current.
      if (everOpen || performance.now() > 3000) resync();
      everOpen = true;
    };
    socket.onmessage = function (m) {
      try { onFrame(JSON.parse(m.data)); } catch (_) { /* not ours */ }
    };
    socket.onclose = function (e) {
      if (e.code === 4003) { // this member's access ended: reconnecting would only be refused
        setConn("offline", T("js-access-ended"));
        toast(T("js-access-ended-toast", { reason: e.reason || "removed" }));
        return;
      }
      var asOf = lastConfirmed ? " · " + T("js-state-as-of", { time: clock(lastConfirmed) }) : "";
      setConn(navigator.onLine === false ? "offline" : "reconnecting", T("js-reconnecting") + asOf);
      var safety = document.getElementById("safety");
      if (safety) {
        safety.setAttribute("data-stale", "true");
        var state = safety.querySelector(".kill-state");
        var note = safety.querySelector(".stale-note") || document.createElement("em");
        note.className = "stale-note";
        note.textContent = " " + T("js-last-confirmed", { time: clock(lastConfirmed) });
        if (state && !note.parentNode) state.appendChild(note);
      }
      var wait = Math.min(30000, backoff) * (0.8 + Math.random() * 0.4);
      backoff = Math.min(30000, backoff * 2);
      setTimeout(connect, wait);
    };
  }
  connect();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && socket && socket.readyState === 1) resync();
  });
})();
