/* The report form (/m/): category picker, GPS pin on a Leaflet map, typed address, photos, description, submit.
 * A report is saved in the outbox first and then sent (see app.js), so nothing is lost when the network drops. */
(function () {
  "use strict";

  var C = window.CityOps;
  var config = C.config;
  var t = C.t;
  var el = C.el;
  var categories = JSON.parse(document.getElementById("m-categories").textContent);
  var form = document.getElementById("report-form");
  var submitButton = document.getElementById("report-submit");
  var state = {
    category: null,
    point: null, // {lat, lon}
    fix: "locating", // locating | gps | none
    pinSource: null, // gps | manual
    photos: [], // {blob, url}
    afterPhotos: [], // {blob, url}: the result, when fixed on the spot (自处置)
    processing: Promise.resolve(),
  };

  /* --- errors ------------------------------------------------------------------------------------------ */

  var ERROR_SLOTS = {
    category: "err-category",
    point: "err-point",
    lon: "err-point",
    lat: "err-point",
    address: "err-address",
    description: "err-description",
    urgency: "err-urgency",
    photos: "err-photos",
    after_photos: "err-after_photos",
    self_handled: "err-after_photos",
    facility: "err-facility",
  };

  function showError(field, message) {
    var slot = document.getElementById(ERROR_SLOTS[field] || "err-form");
    slot.textContent = message;
    slot.hidden = !message;
  }

  function clearErrors() {
    form.querySelectorAll(".m-error").forEach(function (slot) { slot.textContent = ""; slot.hidden = true; });
  }

  function showServerErrors(errors) {
    var first = null;
    Object.keys(errors || {}).forEach(function (field) {
      if (field === "code" || field === "max_photos") return;
      var message = C.firstMessage(errors[field]);
      showError(field, message);
      first = first || document.getElementById(ERROR_SLOTS[field] || "err-form");
    });
    if (!first) showError("form", t("rejected_unknown"));
    (first || document.getElementById("err-form")).scrollIntoView({ block: "center" });
  }

  /* --- category picker --------------------------------------------------------------------------------- */

  var search = document.getElementById("cat-q");
  var results = document.getElementById("cat-results");
  var picker = document.getElementById("cat-picker");
  var chosen = document.getElementById("cat-chosen");
  var searchNote = document.getElementById("cat-note");
  var searchToken = 0;

  function kindFilter() {
    var checked = form.querySelector("input[name=kind]:checked");
    return checked ? checked.value : "";
  }

  function orderedInitials(letters) {
    return new RegExp("^" + letters.split("").join(".*"));
  }

  /* The same matching as the server (cases.catalogue.category_search), for searching without a connection. */
  function localSearch(query, kind) {
    var q = query.trim();
    var lower = q.toLowerCase();
    var code = /^([ce])?(\d+)$/i.exec(q);
    var letters = /^[a-z]+$/.test(lower);
    var ranked = [];
    categories.forEach(function (c) {
      if (kind && c.kind !== kind) return;
      var rank = null;
      if (c.name.indexOf(q) === 0) rank = 0;
      else if (code && c.code.slice(1).indexOf(code[2]) === 0 && (!code[1] || c.kind === code[1].toUpperCase())) rank = 0;
      else if (letters && c.initials.indexOf(lower) === 0) rank = 0;
      else if (c.name.indexOf(q) >= 0 || c.major.indexOf(q) >= 0 || (letters && c.initials.indexOf(lower) >= 0)) rank = 1;
      else if (letters && orderedInitials(lower).test(c.initials)) rank = 2;
      if (rank !== null) ranked.push({ rank: rank, c: c });
    });
    ranked.sort(function (a, b) { return a.rank - b.rank || (a.c.code < b.c.code ? -1 : 1); });
    return ranked.map(function (r) { return r.c; });
  }

  function fromApi(row) {
    return { code: row.display_code, kind: row.kind, name: row.name, initials: row.initials, major: row.major_name };
  }

  function renderResults(list, query, note) {
    results.textContent = "";
    searchNote.textContent = note || "";
    searchNote.hidden = !note;
    if (!query) return;
    if (!list.length) {
      results.appendChild(el("p", { className: "m-empty", text: t("no_category", { q: query }) }));
      return;
    }
    list.slice(0, 10).forEach(function (c) {
      var id = "cat-" + c.code;
      results.appendChild(el("div", { className: "m-option" }, [
        el("input", { type: "radio", name: "category", id: id, value: c.code }),
        el("label", { for: id }, [
          el("span", { className: "m-code", text: c.code }),
          el("span", { className: "m-name", text: c.name }),
          el("span", { className: "m-major", text: c.major + " · " + t(c.kind === "C" ? "kind_C" : "kind_E") }),
        ]),
      ]));
    });
    results._list = list;
  }

  function runSearch() {
    var query = search.value.trim();
    var kind = kindFilter();
    var token = ++searchToken;
    if (!query) return renderResults([], "");
    if (!navigator.onLine) return renderResults(localSearch(query, kind), query, t("search_offline"));
    var url = config.api.categories + "?q=" + encodeURIComponent(query) + (kind ? "&kind=" + kind : "");
    C.getJSON(url).then(function (answer) {
      if (token !== searchToken) return;
      if (answer.ok) renderResults(answer.body.map(fromApi), query);
      else renderResults(localSearch(query, kind), query);
    }, function () {
      if (token === searchToken) renderResults(localSearch(query, kind), query, t("search_offline"));
    });
  }

  var searchTimer = null;
  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 200);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(searchTimer); runSearch(); }
  });
  form.querySelectorAll("input[name=kind]").forEach(function (radio) { radio.addEventListener("change", runSearch); });

  function choose(category) {
    state.category = category;
    document.getElementById("cat-chosen-code").textContent = category.code;
    document.getElementById("cat-chosen-name").textContent = category.name;
    document.getElementById("cat-chosen-major").textContent =
      category.major + " · " + t(category.kind === "C" ? "kind_C" : "kind_E");
    chosen.hidden = false;
    picker.hidden = true;
    showError("category", "");
    updateFacilities();
    document.getElementById("cat-change").focus();
  }

  results.addEventListener("change", function (event) {
    if (event.target.name !== "category") return;
    var code = event.target.value;
    var list = results._list || [];
    choose(list.filter(function (c) { return c.code === code; })[0]);
  });

  document.getElementById("cat-change").addEventListener("click", function () {
    chosen.hidden = true;
    picker.hidden = false;
    search.focus();
    search.select();
  });

  /* --- map, pin and GPS -------------------------------------------------------------------------------- */

  var locStatus = document.getElementById("loc-status");
  var gridLine = document.getElementById("loc-grid");
  var addressHint = document.getElementById("address-required");
  var address = document.getElementById("address");
  var description = document.getElementById("description");
  var emergency = document.getElementById("emergency");

  var map = L.map("map", { attributionControl: Boolean(config.tileUrl), zoomSnap: 0.5 });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    map.getContainer().classList.add("m-map-plain");
  }
  var outlines = L.geoJSON(
    config.outlines.map(function (o) {
      return { type: "Feature", properties: { name: o.name }, geometry: o.geometry };
    }),
    { interactive: false, style: { color: "#0b5cad", weight: 2.5, dashArray: "8 5", fillColor: "#0b5cad", fillOpacity: 0.07 } }
  ).addTo(map);
  if (outlines.getLayers().length) map.fitBounds(outlines.getBounds(), { padding: [12, 12] });
  else if (config.fallbackPoint) map.setView(config.fallbackPoint, 15);
  else map.setView([23.11, 114.42], 10);

  /* With a base map, zoom to the pin; without one there is nothing to see up close, so show the pin within the
   * outline of the grid (the worker zooms in to place it more exactly). */
  function showPin(latlng) {
    if (config.tileUrl || !outlines.getLayers().length) {
      map.setView(latlng, Math.max(map.getZoom(), 17));
    } else {
      map.fitBounds(outlines.getBounds().extend(latlng), { padding: [16, 16], maxZoom: 16 });
    }
  }

  var GridName = L.Control.extend({
    onAdd: function () {
      return el("div", { className: "m-map-label", text: config.outlines.map(function (o) { return o.name; }).join("、") });
    },
  });
  if (config.outlines.length) new GridName({ position: "bottomleft" }).addTo(map);

  var pinIcon = L.divIcon({ className: "m-pin", html: "<span></span>", iconSize: [30, 42], iconAnchor: [15, 42] });
  var marker = null;
  var accuracyCircle = null;

  function setPoint(latlng, source) {
    state.point = { lat: latlng.lat, lon: latlng.lng };
    state.pinSource = source;
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, icon: pinIcon, keyboard: true, title: t("pin_title"), alt: t("pin_title") }).addTo(map);
      marker.on("dragend", function () { setPoint(marker.getLatLng(), "manual"); });
    } else {
      marker.setLatLng(latlng);
    }
    if (source === "manual") {
      if (accuracyCircle) { accuracyCircle.remove(); accuracyCircle = null; }
      locStatus.textContent = state.fix === "gps" ? t("pin_moved") : t("pin_placed");
    }
    showError("point", "");
    lookupGrid();
    updateFacilities();
  }

  map.on("click", function (event) { setPoint(event.latlng, "manual"); });

  function updateAddressRule() {
    var required = state.fix !== "gps";
    address.required = required;
    address.setAttribute("aria-required", required ? "true" : "false");
    addressHint.textContent = required ? t("address_required") : t("address_optional");
  }

  function locate() {
    if (!navigator.geolocation) return noFix(t("gps_unsupported"));
    state.fix = "locating";
    locStatus.textContent = t("locating");
    updateAddressRule();
    navigator.geolocation.getCurrentPosition(function (position) {
      var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
      state.fix = "gps";
      updateAddressRule();
      var accuracy = Math.round(position.coords.accuracy || 0);
      if (state.pinSource !== "manual") {
        setPoint(latlng, "gps");
        locStatus.textContent = t("gps_fix", { m: accuracy });
        if (accuracyCircle) accuracyCircle.remove();
        accuracyCircle = L.circle(latlng, { radius: accuracy, interactive: false, weight: 1, color: "#1a7f37", fillOpacity: 0.08 }).addTo(map);
        showPin(latlng);
      }
    }, function (error) {
      var reasons = { 1: "gps_denied", 2: "gps_unavailable", 3: "gps_timeout" };
      noFix(t(reasons[error.code] || "gps_unavailable"));
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  function noFix(reason) {
    state.fix = "none";
    updateAddressRule();
    if (state.pinSource !== "manual") locStatus.textContent = t("no_gps", { reason: reason });
  }

  document.getElementById("loc-retry").addEventListener("click", function () {
    state.pinSource = null;
    locate();
  });

  var gridTimer = null;
  var gridToken = 0;
  function lookupGrid() {
    clearTimeout(gridTimer);
    gridTimer = setTimeout(function () {
      var token = ++gridToken;
      if (!navigator.onLine) {
        gridLine.textContent = t("grid_offline");
        gridLine.className = "m-grid-line";
        return;
      }
      gridLine.textContent = t("grid_lookup");
      var url = config.api.locate + "?lon=" + state.point.lon.toFixed(7) + "&lat=" + state.point.lat.toFixed(7);
      C.getJSON(url).then(function (answer) {
        if (token !== gridToken) return;
        if (answer.ok) {
          var names = [answer.body.name].concat((answer.body.ancestors || []).slice(1).reverse().map(function (r) { return r.name; }));
          gridLine.textContent = t("grid_found", { name: names.join(" · ") });
          gridLine.className = "m-grid-line is-ok";
          gridLine.setAttribute("data-region", answer.body.code);
        } else {
          gridLine.textContent = C.firstMessage(answer.body) || t("grid_unknown");
          gridLine.className = "m-grid-line is-warning";
          gridLine.removeAttribute("data-region");
        }
      }, function () {
        if (token === gridToken) { gridLine.textContent = t("grid_offline"); gridLine.className = "m-grid-line"; }
      });
    }, 300);
  }

  /* --- photos ---------------------------------------------------------------------------------------- */

  /* One photo list (the problem as found, or the result of a fix on the spot): thumbnails, count, remove, add. */
  function photoList(list, ids, errorField) {
    var input = document.getElementById(ids.input);
    var listEl = document.getElementById(ids.list);
    var count = document.getElementById(ids.count);
    var add = document.getElementById(ids.add);

    function render() {
      listEl.textContent = "";
      list.forEach(function (photo, i) {
        var remove = el("button", { type: "button", className: "m-photo-remove", "aria-label": t("remove_photo", { n: i + 1 }), text: "×" });
        remove.addEventListener("click", function () {
          URL.revokeObjectURL(photo.url);
          list.splice(i, 1);
          render();
        });
        listEl.appendChild(el("li", { className: "m-photo" }, [
          el("img", { src: photo.url, alt: t("photo_alt", { n: i + 1 }) }),
          remove,
        ]));
      });
      count.textContent = list.length + "/" + config.maxPhotos;
      var full = list.length >= config.maxPhotos;
      input.disabled = full;
      add.classList.toggle("is-disabled", full);
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      var room = config.maxPhotos - list.length;
      showError(errorField, files.length > room ? t("too_many_photos", { n: config.maxPhotos }) : "");
      state.processing = files.slice(0, room).reduce(function (chain, file) {
        return chain.then(function () {
          return C.downscale(file).then(function (blob) {
            list.push({ blob: blob, url: URL.createObjectURL(blob) });
            render();
          }, function () {
            showError(errorField, t("photo_unreadable", { name: file.name }));
          });
        });
      }, state.processing);
    });
    return {
      render: render,
      clear: function () {
        list.forEach(function (p) { URL.revokeObjectURL(p.url); });
        list.splice(0, list.length);
        render();
      },
    };
  }

  var photos = photoList(state.photos, { input: "photos", list: "photo-list", count: "photo-count", add: "photo-add" }, "photos");
  var afterPhotos = photoList(state.afterPhotos, { input: "after-photos", list: "after-list", count: "after-count", add: "after-add" }, "after_photos");
  function renderPhotos() { photos.render(); afterPhotos.render(); }

  /* --- 自处置: fixed on the spot, with photos of the result ------------------------------------------------ */

  var selfHandled = document.getElementById("self-handled");
  var afterBox = document.getElementById("after-box");
  function updateSelfHandled() { afterBox.hidden = !selfHandled.checked; }
  selfHandled.addEventListener("change", updateSelfHandled);

  /* --- the facility (部件) of a component report --------------------------------------------------------- */

  var facilityBox = document.getElementById("facility-box");
  var facilityList = document.getElementById("facility-list");
  var facilityStatus = document.getElementById("facility-status");
  var facilityCode = document.getElementById("facility-code");
  var facilityTimer = null;
  var facilityToken = 0;

  function renderFacilities(rows) {
    facilityList.textContent = "";
    var options = rows.map(function (f) {
      return { value: f.code, text: f.code + " " + (f.name || "") + " · " + t("facility_metres", { m: Math.round(f.distance_m) }) + " · " + f.state_display };
    });
    if (rows.length) options.push({ value: "", text: t("facility_none") });
    options.forEach(function (o, i) {
      var id = "facility-" + i;
      var input = el("input", { type: "radio", name: "facility-pick", id: id, value: o.value });
      input.checked = o.value !== "" && o.value === facilityCode.value;
      facilityList.appendChild(el("div", { className: "m-option" }, [input, el("label", { for: id, text: o.text })]));
    });
  }

  function updateFacilities() {
    var component = state.category && state.category.kind === "C";
    facilityBox.hidden = !component;
    if (!component || !state.point) { if (!component) facilityCode.value = ""; return; }
    clearTimeout(facilityTimer);
    facilityTimer = setTimeout(function () {
      var token = ++facilityToken;
      if (!navigator.onLine) { facilityStatus.textContent = t("facility_offline"); return; }
      facilityStatus.textContent = t("facility_searching");
      var url = config.api.facilitiesNearby + "?lon=" + state.point.lon.toFixed(7) + "&lat=" + state.point.lat.toFixed(7) +
        "&class_code=" + encodeURIComponent(state.category.code);
      C.getJSON(url).then(function (answer) {
        if (token !== facilityToken) return;
        var rows = answer.ok ? answer.body : [];
        renderFacilities(rows);
        facilityStatus.textContent = rows.length ? "" : t("facility_empty");
      }, function () {
        if (token === facilityToken) facilityStatus.textContent = t("facility_offline");
      });
    }, 300);
  }

  facilityList.addEventListener("change", function (event) {
    if (event.target.name === "facility-pick") { facilityCode.value = event.target.value; showError("facility", ""); }
  });
  facilityCode.addEventListener("input", function () {
    facilityList.querySelectorAll("input").forEach(function (r) { r.checked = r.value !== "" && r.value === facilityCode.value.trim(); });
  });

  // Scanning the label: a photo of it read by the browser's BarcodeDetector (QR or barcode) where there is one.
  var scanButton = document.getElementById("facility-scan");
  var scanFile = document.getElementById("facility-scan-file");
  if ("BarcodeDetector" in window) {
    scanButton.hidden = false;
    scanFile.addEventListener("change", function () {
      var file = scanFile.files[0];
      if (!file) return;
      createImageBitmap(file).then(function (image) {
        return new window.BarcodeDetector().detect(image);
      }).then(function (codes) {
        if (codes.length) { facilityCode.value = codes[0].rawValue.trim(); facilityCode.dispatchEvent(new Event("input")); }
        else showError("facility", t("facility_scan_none"));
      }, function () { showError("facility", t("facility_scan_none")); });
      scanFile.value = "";
    });
  }

  /* --- submit ---------------------------------------------------------------------------------------- */

  function validate() {
    var problems = [];
    if (!state.category) problems.push(["category", t("choose_category")]);
    if (!state.point) problems.push(["point", state.fix === "locating" ? t("wait_for_gps") : t("tap_map")]);
    if (state.fix !== "gps" && !address.value.trim()) problems.push(["address", t("address_needed")]);
    if (!description.value.trim()) problems.push(["description", t("describe")]);
    if (selfHandled.checked && !state.photos.length) problems.push(["photos", t("self_handled_before")]);
    if (selfHandled.checked && !state.afterPhotos.length) problems.push(["after_photos", t("self_handled_after")]);
    problems.forEach(function (p) { showError(p[0], p[1]); });
    if (problems.length) document.getElementById(ERROR_SLOTS[problems[0][0]]).scrollIntoView({ block: "center" });
    return problems.length === 0;
  }

  var result = document.getElementById("result");

  function showResult(kind, body) {
    result.textContent = "";
    result.className = "m-card m-result m-result-" + kind;
    if (kind === "sent") {
      result.appendChild(el("h2", { text: t("sent_title") }));
      result.appendChild(el("dl", { className: "m-facts" }, [
        el("dt", { text: t("case_number") }), el("dd", { className: "m-case-number", text: body.number }),
        el("dt", { text: t("status") }), el("dd", { className: "m-case-status", "data-status": body.status, text: body.status_display }),
        el("dt", { text: t("grid") }), el("dd", { text: body.region ? body.region.name : "" }),
      ]));
    } else {
      result.appendChild(el("h2", { text: t("queued_title") }));
      result.appendChild(el("p", { text: kind === "signed_out" ? t("signed_out") : t("queued_text") }));
    }
    result.appendChild(el("div", { className: "m-result-actions" }, [
      el("a", { href: config.pages.reports, className: "m-link", text: t("my_reports") }),
    ]));
    result.hidden = false;
    result.focus();
    result.scrollIntoView({ block: "start" });
  }

  function resetForm() {
    state.category = null;
    facilityCode.value = "";
    facilityList.textContent = "";
    facilityStatus.textContent = "";
    facilityBox.hidden = true;
    chosen.hidden = true;
    picker.hidden = false;
    search.value = "";
    renderResults([], "");
    description.value = "";
    address.value = "";
    emergency.checked = false;
    photos.clear();
    afterPhotos.clear();
    selfHandled.checked = false;
    updateSelfHandled();
    if (state.pinSource === "manual") { state.pinSource = null; }
    locate();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    result.hidden = true;
    state.processing.then(function () {
      if (!validate()) return;
      submitButton.disabled = true;
      submitButton.textContent = t("sending");
      var report = {
        category: state.category.code,
        categoryLabel: state.category.code + " " + state.category.name,
        description: description.value.trim(),
        lon: state.point.lon,
        lat: state.point.lat,
        address: address.value.trim(),
        urgency: emergency.checked ? "emergency" : "normal",
        facility: state.category.kind === "C" ? facilityCode.value.trim() : "",
        photos: state.photos.map(function (p) { return p.blob; }),
        selfHandled: selfHandled.checked,
        afterPhotos: selfHandled.checked ? state.afterPhotos.map(function (p) { return p.blob; }) : [],
      };
      return C.save(report).then(function (item) {
        if (!navigator.onLine) return { outcome: "retry" };
        return C.deliver(item.key, true);
      }).then(function (answer) {
        if (answer.outcome === "sent") {
          showResult("sent", answer.case);
          resetForm();
        } else if (answer.outcome === "rejected") {
          showServerErrors(answer.errors);
        } else {
          showResult(answer.outcome === "signed_out" ? "signed_out" : "queued");
          resetForm();
        }
      }, function () {
        showError("form", t("save_failed"));
      });
    }).finally(function () {
      submitButton.disabled = false;
      submitButton.textContent = t("submit");
    });
  });

  // The server answered with a lower photo limit than this page was loaded with: show it on the form.
  document.addEventListener("cityops:photo-limit", renderPhotos);

  C.reportMap = map; // for the browser tests: where to tap

  renderPhotos();
  updateSelfHandled();
  updateAddressRule();
  locate();
})();
