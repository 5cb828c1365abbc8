/* The live feed for a page that follows case events (command centre, department workspace).
 *
 * CityopsFeed.follow({streamUrl, pollUrl, cursor, pollSeconds, onEvents, onCursor, onCounts}) opens the server-sent event
 * stream (/live/events/) from the cursor the page was rendered at, so nothing between the render and the stream
 * is missed; the browser reconnects by itself with Last-Event-ID and the server replays what was missed. When the
 * stream is not available (Redis down: a 503 or an "event: fallback"; or it keeps failing) the page polls the
 * feed (/api/v1/events/?after=cursor, no waiting) every pollSeconds instead, and tries the stream again every
 * minute. Every batch is also announced as a "cityops:feed" DOM event, which the top bar's bell follows. A stream
 * opened with ?counts=1 (the command centre's) carries the tab counts with its messages: onCounts gets them before
 * the events they go with. */
(function () {
  "use strict";

  var RETRY_STREAM_MS = 60000, MAX_STREAM_ERRORS = 3;

  function follow(options) {
    var cursor = options.cursor, source = null, pollTimer = null, retryTimer = null, errors = 0;

    function announce(events) {
      document.dispatchEvent(new CustomEvent("cityops:feed", { detail: { events: events } }));
    }
    function moved(to) {
      if (to == null) return;
      cursor = to;
      if (options.onCursor) options.onCursor(cursor);
    }
    function counted(data) {
      if (data.counts && options.onCounts) options.onCounts(data.counts);
    }
    function deliver(events, to) {
      if (events.length) options.onEvents(events);
      announce(events);
      moved(to);
    }

    // ---- the stream ----
    function openStream() {
      clearTimeout(retryTimer);
      if (source) source.close();
      var sep = options.streamUrl.indexOf("?") >= 0 ? "&" : "?";
      var url = options.streamUrl + (cursor != null ? sep + "after=" + encodeURIComponent(cursor) : "");
      source = new EventSource(url, { withCredentials: true });
      source.addEventListener("open", function () {
        stopPolling();
        if (options.onMode) options.onMode("live");
      });
      source.addEventListener("cursor", function (message) {
        // The stream's start and its heartbeat: alive, nothing new (the bell need not poll).
        errors = 0;
        var data = JSON.parse(message.data);
        counted(data);
        announce([]);
        moved(data.cursor);
      });
      source.addEventListener("events", function (message) {
        errors = 0;
        var data = JSON.parse(message.data);
        counted(data);
        deliver(data.events || [], data.cursor);
      });
      // The server says Redis does not answer: poll until it does.
      source.addEventListener("fallback", function () { fallBack(); });
      source.addEventListener("error", function () {
        // CLOSED: the server refused the stream (503, signed out); CONNECTING: the browser tries again by itself,
        // which ends in polling only after several failures in a row.
        errors += 1;
        if (source.readyState === EventSource.CLOSED || errors >= MAX_STREAM_ERRORS) fallBack();
      });
    }
    function fallBack() {
      if (source) { source.close(); source = null; }
      errors = 0;
      startPolling();
      if (options.streamUrl && window.EventSource) retryTimer = setTimeout(openStream, RETRY_STREAM_MS);
    }

    // ---- polling, while the stream is not there ----
    function poll() {
      var url = options.pollUrl + (cursor != null ? "?after=" + encodeURIComponent(cursor) : "");
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) { deliver(cursor != null ? data.events || [] : [], data.cursor); })
        .catch(function () { if (options.onPollFailed) options.onPollFailed(); })
        .then(function () { if (pollTimer !== null) pollTimer = setTimeout(poll, options.pollSeconds * 1000); });
    }
    function startPolling() {
      if (pollTimer !== null) return;
      if (options.onMode) options.onMode("polling");
      pollTimer = setTimeout(poll, 0);
    }
    function stopPolling() {
      if (pollTimer === null) return;
      clearTimeout(pollTimer);
      pollTimer = null;
    }

    if (options.streamUrl && window.EventSource) openStream();
    else startPolling();
  }

  // Calls `fn` at most once per `ms`: at once when it has been quiet, else once at the end of the interval.
  function throttle(fn, ms) {
    var last = 0, timer = null;
    return function () {
      var wait = last + ms - Date.now();
      if (wait <= 0) { last = Date.now(); fn(); return; }
      if (timer === null) timer = setTimeout(function () { timer = null; last = Date.now(); fn(); }, wait);
    };
  }

  window.CityopsFeed = { follow: follow, throttle: throttle };
})();
