// Every page: a <select data-autosubmit> submits its form when changed (the language switch, the scheme picker).
// A listener here rather than onchange="" attributes, which the Content-Security-Policy refuses.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
});

// The case panel's canned phrases (常用语): a click adds the phrase to the action's note at the cursor.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-phrase-for]");
  if (!button) return;
  const note = document.getElementById(button.dataset.phraseFor);
  if (!note) return;
  const text = button.dataset.phrase;
  const start = note.selectionStart ?? note.value.length;
  const end = note.selectionEnd ?? note.value.length;
  const before = note.value.slice(0, start);
  // A space only after Latin text: Chinese runs on without one.
  const glue = /[A-Za-z0-9.,;:!?)]$/.test(before) ? " " : "";
  note.value = before + glue + text + note.value.slice(end);
  const caret = (before + glue + text).length;
  note.focus();
  note.setSelectionRange(caret, caret);
  note.dispatchEvent(new Event("input", { bubbles: true }));
});

// A searchable <select>: an <input data-filter-select="ID ID"> hides the options of those selects whose name or
// code does not contain what is typed (the chosen ones stay), and empty groups with them.
document.addEventListener("input", (event) => {
  const input = event.target.closest && event.target.closest("[data-filter-select]");
  if (!input) return;
  const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  input.dataset.filterSelect.split(" ").forEach((id, index) => {
    const select = document.getElementById(id);
    if (!select) return;
    select.querySelectorAll("option[data-search]").forEach((option) => {
      const haystack = option.dataset.search.toLowerCase();
      const match = option.selected || words.every((w) => haystack.includes(w));
      option.hidden = !match;
      if (match && index === 0) shown += 1;
    });
    select.querySelectorAll("optgroup").forEach((group) => {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
  });
  const count = input.getAttribute("aria-describedby") && document.getElementById(input.getAttribute("aria-describedby"));
  if (count) count.textContent = words.length ? `${shown} ${input.dataset.countText}` : "";
});

// An htmx request that failed without an answer meant for the user (a 500, a lost connection): say so in words,
// never with a status code. The words come from the page (templates/includes/htmx_head.html), translated.
(() => {
  const meta = document.querySelector('meta[name="cityops-request-problems"]');
  if (!meta) return;
  const words = JSON.parse(meta.content);
  function say(kind) {
    let box = document.getElementById("request-problem");
    if (!box) {
      box = document.createElement("div");
      box.id = "request-problem";
      box.className = "request-problem";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = words[kind];
    box.hidden = false;
    clearTimeout(box.hideTimer);
    box.hideTimer = setTimeout(() => { box.hidden = true; }, 10000);
  }
  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    say(status === 429 ? "busy" : status >= 500 ? "server" : "refused");
  });
  document.addEventListener("htmx:sendError", () => say("network"));
})();

// Every signed-in page: the bell's unread count stays live. Pages that follow the event feed (command centre,
// department workspace; static/cityops/feed.js) announce each batch and each heartbeat with a "cityops:feed"
// event and the count is read again when cases changed; elsewhere (or when the feed has gone quiet) a light poll
// of the count every 30 s.
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
  // The notices of an event are written just after it commits: read soon, and once more a moment later; a busy
  // feed reads the count at most every few seconds.
  var refreshSoon = null;
  document.addEventListener("cityops:feed", function (event) {
    lastFeed = Date.now();
    var events = (event.detail && event.detail.events) || [];
    if (!events.length) return;
    if (refreshSoon === null) {
      refreshSoon = window.CityopsFeed ? window.CityopsFeed.throttle(function () {
        refresh(); setTimeout(refresh, 2000);
      }, 5000) : function () { refresh(); setTimeout(refresh, 2000); };
    }
    refreshSoon();
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
