/* Intake desk (/command/intake/): the map that places the point, the gazetteer pick, the work-order field.
 * Plain ES2017, no build step. htmx refreshes the category and place results and the check (grid, duplicates,
 * filing conditions); this file sets the point and tells htmx when it changed. Without it the form still
 * works: the "look up" button re-renders the page with the same parts. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("intake-config").textContent);
  var form = document.getElementById("intake-form");
  var lon = document.getElementById("f-lon");
  var lat = document.getElementById("f-lat");
  var address = document.getElementById("f-address");
  var channel = document.getElementById("f-channel");
  var workOrder = document.getElementById("work-order-field");

  function changed() { document.body.dispatchEvent(new CustomEvent("intake:changed", { bubbles: true })); }

  // ---- the 12345 work-order number: shown for a 12345 transfer only ----
  function showWorkOrder() { workOrder.hidden = channel.value !== "hotline_12345"; }
  channel.addEventListener("change", showWorkOrder);
  showWorkOrder();

  // ---- the map ----
  var map = L.map("intake-map", { attributionControl: Boolean(config.tiles) });
  if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19 }).addTo(map);
  else map.getContainer().classList.add("intake-map-plain");
  map.setView(config.center, config.zoom);
  var marker = null;

  // The grid boundaries of the visible box (the command centre's layer), so a click lands in a known place.
  var LEVELS = [["district", 0, { color: "#10294a", weight: 2 }], ["street", 11, { color: "#2f6db5", weight: 1.2, dashArray: "5 4" }],
    ["community", 14, { color: "#6b8fb8", weight: 1, dashArray: "2 3" }]];
  var grids = LEVELS.map(function (row) {
    return L.geoJSON(null, {
      interactive: false,
      style: Object.assign({ fill: false }, row[2]),
      onEachFeature: function (feature, layer) {
        if (row[0] !== "community") layer.bindTooltip(feature.properties.name, { permanent: true, direction: "center", className: "grid-label" });
      },
    }).addTo(map);
  });
  function loadGrids() {
    var b = map.getBounds();
    var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
    LEVELS.forEach(function (row, i) {
      if (map.getZoom() < row[1]) { grids[i].clearLayers(); return; }
      fetch(config.gridsUrl + "?level=" + row[0] + "&bbox=" + box, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (geojson) { grids[i].clearLayers(); grids[i].addData(geojson); })
        .catch(function () { /* the next move tries again */ });
    });
  }
  var gridTimer = null;
  map.on("moveend", function () { clearTimeout(gridTimer); gridTimer = setTimeout(loadGrids, 250); });
  loadGrids();

  function placeMarker(latlng, zoom) {
    if (!marker) marker = L.marker(latlng, { keyboard: true, title: config.text.pin, alt: config.text.pin }).addTo(map);
    else marker.setLatLng(latlng);
    if (zoom) map.setView(latlng, Math.max(map.getZoom(), 15));
  }

  function setPoint(latlng, zoom) {
    lon.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
    placeMarker(latlng, zoom);
    changed();
  }

  map.on("click", function (event) {
    form.querySelectorAll("input[name=place]:checked").forEach(function (r) { r.checked = false; });
    setPoint(event.latlng, false);
  });

  if (lon.value && lat.value && !isNaN(Number(lon.value)) && !isNaN(Number(lat.value))) {
    placeMarker(L.latLng(Number(lat.value), Number(lon.value)), true);
  }

  // ---- the gazetteer: a picked place sets the point and, when empty, the address ----
  document.getElementById("place-results").addEventListener("change", function (event) {
    var radio = event.target;
    if (radio.name !== "place") return;
    var parts = radio.value.split(",");
    if (!address.value) address.value = radio.dataset.address || "";
    setPoint(L.latLng(Number(parts[1]), Number(parts[0])), true);
  });

  // ---- typed coordinates move the marker ----
  [lon, lat].forEach(function (input) {
    input.addEventListener("change", function () {
      var x = Number(lon.value), y = Number(lat.value);
      if (lon.value && lat.value && !isNaN(x) && !isNaN(y)) placeMarker(L.latLng(y, x), true);
    });
  });

  // ---- photos: the limit, before the upload ----
  var photos = document.getElementById("f-photos");
  photos.addEventListener("change", function () {
    var max = Number(photos.dataset.maxFiles);
    photos.setCustomValidity(photos.files.length > max ? photos.dataset.tooMany : "");
    photos.reportValidity();
  });
})();
