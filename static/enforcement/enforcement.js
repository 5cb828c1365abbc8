// The penalty form proposes the discretion standard's range for the chosen circumstance (the server checks it).
(function () {
  "use strict";
  var select = document.getElementById("decide-circumstance");
  var range = document.getElementById("decide-range");
  var fine = document.getElementById("decide-fine");
  if (!select || !range) return;
  var ranges = JSON.parse(select.getAttribute("data-ranges") || "{}");
  function show() {
    var r = ranges[select.value];
    range.textContent = r ? r[0] + "–" + r[1] : "—";
    if (fine && r && !fine.value) fine.placeholder = r[0] + "–" + r[1];
  }
  select.addEventListener("change", show);
  show();
})();
