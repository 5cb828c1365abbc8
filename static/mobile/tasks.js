/* My tasks (/m/tasks/): 核实 (verify: real / not real) and 核查 (check: passed / failed) through the transitions
 * endpoint, with optional on-site photos shrunk in the browser like the report's. */
(function () {
  "use strict";

  var C = window.CityOps;
  var t = C.t;
  var el = C.el;

  function setupTask(form) {
    var card = form.closest(".m-task");
    var action = form.getAttribute("data-action");
    var photos = [];
    var processing = Promise.resolve();
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector(".m-photos");
    var error = form.querySelector(".m-error");
    var buttons = form.querySelectorAll("button[type=submit]");

    function renderPhotos() {
      list.textContent = "";
      photos.forEach(function (photo, i) {
        var remove = el("button", { type: "button", className: "m-photo-remove", "aria-label": t("remove_photo", { n: i + 1 }), text: "×" });
        remove.addEventListener("click", function () { photos.splice(i, 1); renderPhotos(); });
        list.appendChild(el("li", { className: "m-photo" }, [el("img", { src: photo.url, alt: t("photo_alt", { n: i + 1 }) }), remove]));
      });
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      var room = C.config.maxPhotos - photos.length;
      processing = files.slice(0, room).reduce(function (chain, file) {
        return chain.then(function () {
          return C.downscale(file).then(function (blob) {
            photos.push({ blob: blob, url: URL.createObjectURL(blob) });
            renderPhotos();
          }, function () { error.textContent = t("photo_unreadable", { name: file.name }); });
        });
      }, processing);
    });

    // The answer is the button pressed; remembered on click because not every phone browser gives the submit
    // event its submitter (a missing one must never read as "no").
    var pressed = null;
    buttons.forEach(function (b) { b.addEventListener("click", function () { pressed = b; }); });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter || pressed;
      if (!button) { return; }
      var outcome = button && button.value === "true";
      error.textContent = "";
      processing.then(function () {
        var data = new FormData();
        data.append("action", action);
        data.append(form.getAttribute("data-param"), outcome ? "true" : "false");
        data.append("note", form.querySelector("textarea").value.trim());
        photos.forEach(function (photo, i) { data.append("photos", photo.blob, "check-" + (i + 1) + ".jpg"); });
        buttons.forEach(function (b) { b.disabled = true; });
        var url = C.config.api.transitions.replace("{id}", card.getAttribute("data-case-id"));
        return C.postForm(url, data).then(function (answer) {
          if (!answer.ok) {
            error.textContent = answer.message || t("server_error", { status: answer.status });
            buttons.forEach(function (b) { b.disabled = false; });
            return;
          }
          var key = action === "verify" ? (outcome ? "verified_real" : "verified_false") : (outcome ? "check_passed" : "check_failed");
          var status = answer.body && answer.body.status_display;
          var done = el("p", { className: "m-task-done", role: "status" }, [
            status ? t("task_done", { result: t(key), status: status }) : t(key),
          ]);
          form.replaceWith(done);
          card.classList.add("is-done");
          card.setAttribute("data-done", "true");
          var badge = document.getElementById("m-task-badge");
          if (badge) {
            var left = Math.max(0, parseInt(badge.textContent, 10) - 1);
            badge.textContent = String(left);
            badge.hidden = left === 0;
          }
        });
      });
    });
  }

  document.querySelectorAll(".m-task-form").forEach(setupTask);
})();
