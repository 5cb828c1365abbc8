// Every page: a <select data-autosubmit> submits its form when changed (the language switch, the scheme picker).
// A listener here rather than onchange="" attributes, which the Content-Security-Policy refuses.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
});

// Every signed-in page: the bell's unread count stays live. Pages that follow the event feed (command centre,
// department workspace) announce each answer with a "cityops:feed" event and the count is read again when cases
// changed; elsewhere (or when the feed has gone quiet) a light poll of the count every 30 s.
(function () {
  "use strict";
  var POLL_MS = 30000, FEED_FRESH_MS = 60000;
  var lastFeed = 0, timer = null;

  function bell() { return document.getElementById("inbox-bell"); }
  function show(count) {
    var b = bell();
    if (!b) return;
    var el = b.querySelector("[data-unread]");
    if (el.textContent.trim() !== String(count)) {
      el.textContent = String(count);
      b.classList.remove("rang"); void b.offsetWidth; b.classList.add("rang");
    }
    b.classList.toggle("has-unread", count > 0);
    b.dataset.count = String(count);
  }
  function refresh() {
    var b = bell();
    if (!b) return Promise.resolve();
    return fetch(b.dataset.countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { show(data.unread); })
      .catch(function () {});
  }
  function poll() {
    if (Date.now() - lastFeed > FEED_FRESH_MS && !document.hidden) refresh();
    timer = setTimeout(poll, POLL_MS);
  }
  document.addEventListener("cityops:feed", function (event) {
    lastFeed = Date.now();
    var events = (event.detail && event.detail.events) || [];
    // The notices of an event are written just after it commits: read now, and once more a moment later.
    if (events.length) { refresh(); setTimeout(refresh, 2000); }
  });
  // The inbox page's own forms (mark read, mark all read) carry the new count in the part they swap in.
  document.addEventListener("htmx:afterSwap", function () {
    var main = document.getElementById("inbox-main");
    if (main && main.dataset.unread !== undefined) show(Number(main.dataset.unread));
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  function start() {
    var b = bell();
    if (!b) return;
    b.dataset.count = b.querySelector("[data-unread]").textContent.trim();
    timer = setTimeout(poll, POLL_MS);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
