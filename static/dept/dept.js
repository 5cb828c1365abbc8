/* Department workspace (/dept/): the case panel's focus, photo limits and live refresh of the light groups.
 * Plain ES2017, no build step; htmx swaps the board and the panel. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("dept-config").textContent);
  var board = document.getElementById("dept-board");
  var focusPanelAfterSwap = false;

  function panel() { return document.getElementById("case-panel"); }
  function openCaseId() { var p = panel(); return p && p.dataset.case ? Number(p.dataset.case) : null; }
  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function markCurrent() {
    var id = openCaseId();
    document.querySelectorAll(".case-row").forEach(function (row) {
      if (Number(row.dataset.case) === id) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
  }
  function updateSummary() {
    board.querySelectorAll("[data-group]").forEach(function (group) {
      var count = group.querySelectorAll(".case-row-item").length;
      var el = document.querySelector('#light-summary [data-count="' + group.dataset.group + '"]');
      if (el && el.textContent.trim() !== String(count)) el.textContent = count;
    });
  }
  function refreshBoard() { htmx.trigger(board, "cityops:refresh"); }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".case-row")) focusPanelAfterSwap = true;
    if (event.target.matches && event.target.matches("[data-reload-panel]")) {
      htmx.ajax("GET", panel().dataset.url, { target: "#case-panel", swap: "outerHTML" });
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target === board) { updateSummary(); markCurrent(); return; }
    var p = panel();
    if (!p) return;
    markCurrent();
    var url = new URL(window.location.href);
    if (p.dataset.case) url.searchParams.set("case", p.dataset.case); else url.searchParams.delete("case");
    window.history.replaceState(null, "", url);
    if (focusPanelAfterSwap) {
      var title = document.getElementById("panel-title");
      if (title) title.focus();
    } else {
      var invalid = p.querySelector('[aria-invalid="true"]');
      if (invalid) invalid.focus();
      else if (p.querySelector(".panel-live .notice")) p.scrollIntoView({ block: "start" });
    }
    focusPanelAfterSwap = false;
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !input.dataset.maxFiles) return;
    var tooMany = input.files.length > Number(input.dataset.maxFiles);
    input.setCustomValidity(tooMany ? input.dataset.tooMany : "");
    if (tooMany) { input.reportValidity(); input.value = ""; input.setCustomValidity(""); }
  });
  document.body.addEventListener("cityops:case-changed", refreshBoard);
  // A search box over a long multiple select (the whistle's departments): options that do not match are hidden;
  // chosen ones stay visible so that nothing selected disappears from view.
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.dataset || !box.dataset.filterOptions) return;
    var select = document.getElementById(box.dataset.filterOptions);
    if (!select) return;
    var needle = box.value.trim().toLowerCase();
    Array.prototype.forEach.call(select.options, function (option) {
      option.hidden = needle !== "" && !option.selected && option.text.toLowerCase().indexOf(needle) === -1;
    });
  });

  // ---- live updates ----
  function userIsEditing() {
    var p = panel();
    if (!p) return false;
    if (p.contains(document.activeElement) && /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) return true;
    return Array.prototype.some.call(p.querySelectorAll("textarea, input[type=number], input[type=file]"), function (el) {
      return el.type === "file" ? el.files.length > 0 : el.value.trim() !== "";
    });
  }
  function refreshPanel() {
    var p = panel();
    if (!p || !p.dataset.url) return;
    if (userIsEditing()) {
      var live = p.querySelector(".panel-live");
      if (live && !live.querySelector(".notice-conflict")) {
        live.innerHTML = '<div class="notice notice-conflict" role="alert">' + escapeHtml(config.text.changed) +
          ' <button type="button" class="btn-small" data-reload-panel>' + escapeHtml(config.text.reload) + "</button></div>";
      }
      return;
    }
    htmx.ajax("GET", p.dataset.url, { target: "#case-panel", swap: "outerHTML" });
  }
  var lastCounts = null;
  function pollBoard() {
    fetch(config.boardUrl + "?format=json", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        var key = JSON.stringify(data.counts);
        if (lastCounts !== null && key !== lastCounts) { refreshBoard(); if (openCaseId()) refreshPanel(); }
        lastCounts = key;
      })
      .catch(function () {})
      .then(function () { setTimeout(pollBoard, config.pollSeconds * 1000); });
  }
  // The board is one render: however many events arrive, at most one every two seconds.
  var refreshBoardSoon = CityopsFeed.throttle(refreshBoard, 2000);
  function onEvents(events) {
    refreshBoardSoon();
    var p = panel(), seen = p ? Number(p.dataset.lastEvent || 0) : 0;
    var open = openCaseId();
    if (open && events.some(function (e) { return e.case && e.case.id === open && e.id > seen; })) refreshPanel();
  }
  function followFeed() {
    var root = document.getElementById("dept-workspace") || document.body;
    CityopsFeed.follow({
      streamUrl: config.streamUrl,
      pollUrl: config.feedUrl,
      cursor: config.feedCursor,
      pollSeconds: config.pollSeconds,
      onEvents: onEvents,
      onCursor: function (cursor) { root.dataset.feedCursor = String(cursor); },
      onMode: function (mode) { root.dataset.feedMode = mode; }
    });
  }

  function start() {
    markCurrent();
    if (config.feedUrl) followFeed();
    else pollBoard();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
