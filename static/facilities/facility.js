/* A facility's page (/facilities/CODE/): where it stands, on a small map coloured by its state. */
(function () {
  "use strict";

  function start() {
    var node = document.getElementById("facility-config");
    var box = document.getElementById("facility-map");
    if (!node || !box || !window.L) return;
    var config = JSON.parse(node.textContent);
    var map = L.map(box, { zoomControl: true, attributionControl: false }).setView([config.lat, config.lon], 18);
    if (config.tileUrl) L.tileLayer(config.tileUrl, { maxZoom: 19 }).addTo(map);
    L.circleMarker([config.lat, config.lon], {
      radius: 9, weight: 2, color: "#fff", fillOpacity: 0.95, className: "facility-dot facility-dot-" + config.state,
    }).addTo(map);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
