/* The public report form (/public/report/): the map pin, "use my location", and the hidden lon/lat fields.
 * Plain ES2017, no build step. Without JavaScript the form cannot place a pin, and the page says so on sending. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("public-map-config").textContent);
  var lon = document.getElementById("id_lon");
  var lat = document.getElementById("id_lat");
  var status = document.getElementById("location-status");
  var map = L.map("public-map", { attributionControl: Boolean(config.tiles) });
  if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19 }).addTo(map);
  map.setView(config.center, config.zoom);
  var marker = null;

  function place(latlng) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, keyboard: true, title: config.text.pin, alt: config.text.pin }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
    lon.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
  }

  if (lon.value && lat.value) {
    var start = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
    place(start);
    map.setView(start, Math.max(map.getZoom(), 15));
  }
  map.on("click", function (event) { place(event.latlng); });

  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = config.text.noLocation; return; }
    status.textContent = config.text.locating;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var here = L.latLng(position.coords.latitude, position.coords.longitude);
        place(here);
        map.setView(here, Math.max(map.getZoom(), 16));
        status.textContent = config.text.located;
      },
      function () { status.textContent = config.text.noLocation; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
