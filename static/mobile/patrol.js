/* CityOps mobile (/m/): patrols — 上岗 / 下岗 and the track recorded while on duty.
 *
 * The patrol lives in localStorage (per user), so a reload or a lost connection loses nothing: its client id
 * (chosen here, so a start sent twice makes one patrol on the server), whether the start and the end reached the
 * server, and the queue of positions not yet uploaded. While on duty, watchPosition keeps the latest fix and every
 * `seconds` (the low-battery interval below 20 % when not charging) that fix is queued once. The queue goes up in
 * batches; a repeated batch stores nothing on the server (one point per recorded time). Network errors and 5xx are
 * retried with a growing delay (doubling up to 5 minutes), at once when the browser comes back online. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("m-config").textContent);
  var strings = JSON.parse(document.getElementById("m-strings").textContent);
  var patrol = config.patrol;
  var card = document.getElementById("patrol");
  if (!patrol || !card) return;

  var KEY = "cityops-patrol:" + config.user;
  var MAX_BACKOFF_MS = 5 * 60 * 1000;
  var statusEl = document.getElementById("patrol-status");
  var waitingEl = document.getElementById("patrol-waiting");
  var startBtn = document.getElementById("patrol-start");
  var endBtn = document.getElementById("patrol-end");

  var state = load();
  var latest = null; // the newest fix from watchPosition
  var lastQueuedAt = null;
  var watchId = null;
  var tickTimer = null;
  var retryTimer = null;
  var backoff = 0;
  var flushing = false;
  var again = false; // a flush was asked for while one was running: run once more after it
  var battery = null;

  function t(key, values) {
    var text = strings[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch (e) { return null; }
  }
  function save() {
    if (state) localStorage.setItem(KEY, JSON.stringify(state));
    else localStorage.removeItem(KEY);
    render();
  }

  // The page's shared helpers (static/mobile/app.js, loaded first on every phone page).
  var csrfToken = window.CityOps.csrfToken;
  var newKey = window.CityOps.newKey;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return { status: response.status, body: data };
      });
    });
  }

  function url(template) { return template.replace("{id}", state.clientId); }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function hhmm(iso) { var d = new Date(iso); return pad(d.getHours()) + ":" + pad(d.getMinutes()); }

  function render() {
    var on = !!(state && !state.endedAt);
    card.dataset.onDuty = on ? "true" : "false";
    statusEl.dataset.state = on ? "on" : "off";
    statusEl.textContent = on ? t("patrol_on", { time: hhmm(state.startedAt) }) : t("patrol_off");
    startBtn.hidden = on;
    endBtn.hidden = !on;
    var waiting = state ? state.points.length : 0;
    waitingEl.hidden = !waiting && !(state && (!state.startSent || (state.endedAt && !state.endSent)));
    waitingEl.textContent = t("patrol_waiting", { n: waiting });
    waitingEl.dataset.waiting = String(waiting);
    card.dataset.recorded = String(state ? state.recorded || 0 : 0);
  }

  // ---- recording ----

  function interval() {
    var low = battery && !battery.charging && battery.level < 0.2;
    return (low ? patrol.lowBatterySeconds : patrol.seconds) * 1000;
  }

  function tick() {
    if (!state || state.endedAt || !latest) return;
    var at = new Date(latest.timestamp).toISOString();
    if (at === lastQueuedAt) return; // no newer fix since the last one queued
    lastQueuedAt = at;
    state.points.push({
      recorded_at: at,
      lon: Number(latest.coords.longitude.toFixed(7)),
      lat: Number(latest.coords.latitude.toFixed(7)),
      accuracy: latest.coords.accuracy === undefined ? null : Math.round(latest.coords.accuracy * 10) / 10,
      battery: battery ? Math.round(battery.level * 100) / 100 : null
    });
    state.recorded = (state.recorded || 0) + 1;
    save();
    flush();
  }

  function schedule() {
    clearInterval(tickTimer);
    if (state && !state.endedAt) tickTimer = setInterval(tick, interval());
  }

  function startWatching() {
    if (watchId !== null || !navigator.geolocation) return;
    watchId = navigator.geolocation.watchPosition(
      function (position) {
        var first = latest === null;
        latest = position;
        if (first) tick();
      },
      function () { statusEl.textContent = t("patrol_no_gps"); },
      { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 }
    );
    schedule();
  }

  function stopWatching() {
    if (watchId !== null && navigator.geolocation) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    clearInterval(tickTimer);
  }

  // ---- sending ----

  function retryLater() {
    backoff = Math.min(backoff ? backoff * 2 : patrol.seconds * 1000, MAX_BACKOFF_MS);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, backoff);
  }

  function step() {
    if (!state) return Promise.resolve(false);
    if (!state.startSent) {
      var first = state.points[0];
      var body = { client_id: state.clientId, started_at: state.startedAt };
      if (first) { body.lon = first.lon; body.lat = first.lat; }
      return post(patrol.start, body).then(function (r) {
        if (r.status === 200 || r.status === 201) { state.startSent = true; save(); return true; }
        if (r.status === 400 || r.status === 403) { state = null; save(); stopWatching(); return false; }
        throw new Error(String(r.status));
      });
    }
    if (state.points.length) {
      var batch = state.points.slice(0, patrol.batchMax);
      return post(url(patrol.track), { points: batch }).then(function (r) {
        if (r.status === 404) { state.startSent = false; save(); return true; }
        if (r.status === 200 || r.status === 400) {
          // 400: these points can never be stored (outside the patrol, bad values); they leave the queue.
          var sent = {};
          batch.forEach(function (p) { sent[p.recorded_at] = true; });
          state.points = state.points.filter(function (p) { return !sent[p.recorded_at]; });
          save();
          return true;
        }
        throw new Error(String(r.status));
      });
    }
    if (state.endedAt && !state.endSent) {
      return post(url(patrol.end), { ended_at: state.endedAt }).then(function (r) {
        if (r.status === 200 || r.status === 404 || r.status === 400) { state = null; save(); return false; }
        throw new Error(String(r.status));
      });
    }
    return Promise.resolve(false);
  }

  function flush() {
    if (flushing) { again = true; return; }
    if (!state) return;
    flushing = true;
    clearTimeout(retryTimer);
    var loop = function () {
      return step().then(function (more) { return more ? loop() : null; });
    };
    loop().then(function () { backoff = 0; }, retryLater).finally(function () {
      flushing = false;
      render();
      if (again) { again = false; flush(); }
    });
  }

  // ---- buttons ----

  startBtn.addEventListener("click", function () {
    state = { clientId: newKey(), startedAt: new Date().toISOString(), startSent: false, points: [], recorded: 0 };
    lastQueuedAt = null;
    save();
    startWatching();
    if (latest) tick();
    flush();
  });

  endBtn.addEventListener("click", function () {
    if (!state) return;
    tick();
    state.endedAt = new Date().toISOString();
    save();
    stopWatching();
    flush();
  });

  window.addEventListener("online", function () { backoff = 0; flush(); });
  window.addEventListener("offline", function () { again = false; });

  if (navigator.getBattery) {
    navigator.getBattery().then(function (b) {
      battery = b;
      b.addEventListener("levelchange", schedule);
      b.addEventListener("chargingchange", schedule);
      schedule();
    }).catch(function () {});
  }

  // The server knows of an open patrol this phone has no record of (storage cleared, another tab): adopt it.
  if (!state && patrol.open) {
    state = { clientId: patrol.open.client_id, startedAt: patrol.open.started_at, startSent: true, points: [], recorded: 0 };
    save();
  }
  render();
  if (state && !state.endedAt) startWatching();
  if (state) flush();
})();
