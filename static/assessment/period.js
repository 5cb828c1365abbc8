// The period picker on every assessment page: a day inside the period for day…year, a first and last day for a
// custom range. Only the fields of the chosen kind are shown and sent.
(function () {
  "use strict";
  function sync(form) {
    var custom = form.querySelector("select[name=kind]").value === "custom";
    form.querySelectorAll("[data-period-day]").forEach(function (label) {
      label.hidden = custom;
      label.querySelector("input").disabled = custom;
    });
    form.querySelectorAll("[data-period-range]").forEach(function (label) {
      label.hidden = !custom;
      label.querySelector("input").disabled = !custom;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-period-form]").forEach(function (form) {
      var kind = form.querySelector("select[name=kind]");
      kind.addEventListener("change", function () { sync(form); });
      sync(form);
    });
  });
})();
