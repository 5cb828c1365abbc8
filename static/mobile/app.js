/* CityOps mobile (/m/): shared by every page — the outbox of reports waiting in IndexedDB and their exactly-once
 * delivery, photo downscaling, the CSRF header, the connection badge and the service worker.
 *
 * Exactly once: every report gets its Idempotency-Key (crypto.randomUUID) when it is saved, before the first try,
 * and keeps it on every retry; the server answers the same case for the same key (201 first, 200 after). A report
 * leaves the outbox only after a 2xx. 400 (bad input) keeps it with the message and stops automatic retries;
 * network errors, 5xx, 401/403 (signed out) keep it for the next try.
 *
 * Photo limit: the page config's maxPhotos is the server's CASE_PHOTOS_MAX, and a 400 for too many photos carries
 * the current max_photos. A report saved under a higher limit is not sent as it is: its outbox entry says how many
 * photos to remove and offers a remove button on each; once it fits it goes back to waiting and is sent. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("m-config").textContent);
  var strings = JSON.parse(document.getElementById("m-strings").textContent);

  function t(key, values) {
    var text = strings[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function csrfToken() {
    var name = config.csrfCookie + "=";
    var found = document.cookie.split(";").map(function (c) { return c.trim(); }).filter(function (c) {
      return c.indexOf(name) === 0;
    })[0];
    return found ? decodeURIComponent(found.slice(name.length)) : "";
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Plain-HTTP intranets have no randomUUID (secure contexts only); getRandomValues exists everywhere.
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /* --- first message of an API error body ------------------------------------------------------------- */

  function firstMessage(body) {
    if (!body) return "";
    if (typeof body === "string") return body;
    if (Array.isArray(body)) return firstMessage(body[0]);
    if (body.detail) return firstMessage(body.detail);
    var keys = Object.keys(body).filter(function (k) { return k !== "code"; });
    return keys.length ? firstMessage(body[keys[0]]) : "";
  }

  /* --- IndexedDB outbox ---------------------------------------------------------------------------------- */

  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("cityops-mobile", 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("outbox", { keyPath: "key" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function store(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction("outbox", mode);
        var result = work(tx.objectStore("outbox"));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var outbox = {
    put: function (item) { return store("readwrite", function (s) { s.put(item); }); },
    remove: function (key) { return store("readwrite", function (s) { s.delete(key); }); },
    get: function (key) { return store("readonly", function (s) { return s.get(key); }); },
    /* Only this user's reports: a shared phone must never send one person's report as another. */
    all: function () {
      return store("readonly", function (s) { return s.getAll(); }).then(function (items) {
        return (items || []).filter(function (item) { return item.user === config.user; })
          .sort(function (a, b) { return a.created < b.created ? -1 : 1; });
      });
    },
  };

  /* One sender at a time, across tabs when the browser has Web Locks; the key makes a double send harmless. */
  var localQueue = Promise.resolve();
  function withLock(work) {
    if (navigator.locks && navigator.locks.request) return navigator.locks.request("cityops-outbox", work);
    var run = localQueue.then(work, work);
    localQueue = run.catch(function () {});
    return run;
  }

  /* --- delivery ----------------------------------------------------------------------------------------- */

  function formData(item) {
    var data = new FormData();
    data.append("category", item.category);
    data.append("description", item.description);
    data.append("lon", item.lon.toFixed(7));
    data.append("lat", item.lat.toFixed(7));
    data.append("address", item.address || "");
    data.append("source", "grid_worker");
    if (item.urgency) data.append("urgency", item.urgency);
    if (item.facility) data.append("facility", item.facility);
    (item.photos || []).forEach(function (blob, i) {
      data.append("photos", blob, "photo-" + (i + 1) + ".jpg");
    });
    // 自处置: fixed on the spot, with photos of the result.
    if (item.selfHandled) {
      data.append("self_handled", "true");
      (item.afterPhotos || []).forEach(function (blob, i) {
        data.append("after_photos", blob, "after-" + (i + 1) + ".jpg");
      });
    }
    return data;
  }

  /* Send one saved report. Resolves {outcome: "sent"|"rejected"|"retry"|"signed_out", case?, errors?, message?}. */
  function sendOnce(item) {
    return fetch(config.api.cases, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Idempotency-Key": item.key, Accept: "application/json" },
      body: formData(item),
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (response.ok) return { outcome: "sent", status: response.status, case: body };
        if (response.status === 400 || response.status === 413) {
          if (body && body.code === "too_many_photos") learnPhotoLimit(body.max_photos);
          return { outcome: "rejected", status: response.status, errors: body || {}, message: firstMessage(body) };
        }
        if (response.status === 401 || response.status === 403) {
          return { outcome: "signed_out", status: response.status, message: t("signed_out") };
        }
        return { outcome: "retry", status: response.status, message: t("server_error", { status: response.status }) };
      });
    }, function () {
      return { outcome: "retry", status: 0, message: t("network_error") };
    });
  }

  /* The server's photo limit, from a 400 that says it changed (the page may have been loaded under another). */
  function learnPhotoLimit(limit) {
    if (typeof limit !== "number" || limit === config.maxPhotos) return;
    config.maxPhotos = limit;
    document.dispatchEvent(new CustomEvent("cityops:photo-limit", { detail: { maxPhotos: limit } }));
  }

  /* A report's photo lists, each under the limit on its own: the problem as found, and the result of a fix on the
   * spot (自处置). */
  var PHOTO_LISTS = ["photos", "afterPhotos"];

  function extraPhotos(item) {
    return PHOTO_LISTS.reduce(function (extra, list) {
      return extra + Math.max(0, (item[list] || []).length - config.maxPhotos);
    }, 0);
  }

  function tooManyPhotos(item) {
    var n = Math.max.apply(null, PHOTO_LISTS.map(function (list) { return (item[list] || []).length; }));
    return t("too_many_queued", { n: n, max: config.maxPhotos, extra: extraPhotos(item) });
  }

  /* Known to be refused (more photos than the limit): answered here, without uploading them. */
  function sendChecked(item) {
    if (!extraPhotos(item)) return sendOnce(item);
    var message = tooManyPhotos(item);
    return Promise.resolve({ outcome: "rejected", status: 400, errors: { photos: [message] }, message: message });
  }

  /* Send a saved report and update the outbox from the answer. `live`: the user is waiting on the form, so a
   * 400 goes back to the form (and the report leaves the outbox) instead of waiting there. */
  function deliver(key, live) {
    return withLock(function () {
      return outbox.get(key).then(function (item) {
        if (!item) return { outcome: "gone" };
        item.attempts = (item.attempts || 0) + 1;
        item.state = "sending";
        return outbox.put(item).then(renderOutbox).then(function () {
          return sendChecked(item);
        }).then(function (result) {
          item.lastTry = new Date().toISOString();
          var done;
          if (result.outcome === "sent" || (live && result.outcome === "rejected")) {
            done = outbox.remove(key);
          } else {
            item.state = result.outcome === "rejected" ? "rejected" : result.outcome === "signed_out" ? "signed_out" : "waiting";
            item.error = result.message || "";
            done = outbox.put(item);
          }
          return done.then(function () {
            if (result.outcome === "sent") announceSent(result.case, item);
            return result;
          });
        });
      });
    }).finally(function () { renderOutbox(); });
  }

  var flushing = false;
  /* Retry every report waiting in the outbox, oldest first; rejected ones wait for the user. */
  function flush(force) {
    if (flushing) return Promise.resolve();
    if (!navigator.onLine && !force) return renderOutbox();
    flushing = true;
    return outbox.all().then(function (items) {
      var chain = Promise.resolve();
      items.forEach(function (item) {
        if (item.state === "rejected" && !force) return;
        chain = chain.then(function () { return deliver(item.key, false); });
      });
      return chain;
    }).catch(function () {}).finally(function () { flushing = false; });
  }

  function save(report) {
    var item = Object.assign({
      key: newKey(),
      user: config.user,
      created: new Date().toISOString(),
      state: "waiting",
      attempts: 0,
      error: "",
    }, report);
    return outbox.put(item).then(function () { renderOutbox(); return item; });
  }

  /* --- outbox list and notices ---------------------------------------------------------------------------- */

  function formatTime(iso) {
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  var STATE_TEXT = { waiting: "state_waiting", sending: "state_sending", rejected: "state_rejected", signed_out: "state_signed_out" };

  function outboxItem(item) {
    var stateKey = STATE_TEXT[item.state] || "state_waiting";
    var actions = el("div", { className: "m-outbox-actions" }, [
      el("button", { type: "button", className: "m-btn m-btn-small", "data-outbox-send": item.key, text: t("send_now") }),
      el("button", { type: "button", className: "m-btn m-btn-small m-btn-quiet", "data-outbox-delete": item.key, text: t("delete") }),
    ]);
    var login = item.state === "signed_out"
      ? el("a", { href: config.loginUrl, className: "m-link", text: t("sign_in") }) : null;
    return el("li", { className: "m-outbox-item m-state-" + item.state, "data-idempotency-key": item.key }, [
      el("div", { className: "m-outbox-head" }, [
        el("strong", { text: item.categoryLabel || item.category }),
        el("span", { className: "m-chip m-chip-" + item.state, text: t(stateKey) }),
      ]),
      el("p", { className: "m-outbox-text", text: item.description }),
      el("p", { className: "m-outbox-meta", text: [
        t("saved_at", { time: formatTime(item.created) }),
        item.address || (item.lat.toFixed(5) + ", " + item.lon.toFixed(5)),
        t("photo_count", { n: (item.photos || []).length + (item.afterPhotos || []).length }),
      ].concat(item.selfHandled ? [t("self_handled")] : []).join(" · ") }),
      thumbs(item.photos || [], extraPhotos(item) ? item.key : null, "photos"),
      thumbs(item.afterPhotos || [], extraPhotos(item) ? item.key : null, "afterPhotos"),
      extraPhotos(item) ? el("p", { className: "m-error m-too-many", role: "alert", text: tooManyPhotos(item) })
        : item.error ? el("p", { className: "m-error", text: item.error }) : null,
      login,
      actions,
    ]);
  }

  /* The photos of a saved report; `removableKey` gives each a remove button (the report has too many). */
  function thumbs(photos, removableKey, list) {
    if (!photos.length) return null;
    return el("ul", { className: "m-outbox-thumbs" }, photos.map(function (blob, i) {
      var url = URL.createObjectURL(blob);
      thumbUrls.push(url);
      var remove = removableKey ? el("button", {
        type: "button", className: "m-photo-remove", "data-outbox-photo": removableKey, "data-index": String(i),
        "data-list": list,
        "aria-label": t("remove_photo", { n: i + 1 }), text: "×",
      }) : null;
      return el("li", {}, [el("img", { src: url, alt: t("photo_alt", { n: i + 1 }) }), remove]);
    }));
  }

  /* Drop one photo of a saved report; once it fits the limit it waits to be sent again, and is sent. */
  function removeQueuedPhoto(key, index, list) {
    return withLock(function () {
      return outbox.get(key).then(function (item) {
        if (!item || item.state === "sending") return null;
        item[PHOTO_LISTS.indexOf(list) >= 0 ? list : "photos"].splice(index, 1);
        var fits = !extraPhotos(item);
        if (fits) { item.state = "waiting"; item.error = ""; }
        return outbox.put(item).then(function () { return fits; });
      });
    }).then(function (fits) {
      renderOutbox();
      if (fits) deliver(key, false);
    });
  }

  var lastCount = 0;
  var thumbUrls = [];
  function renderOutbox() {
    return outbox.all().then(function (items) {
      lastCount = items.length;
      renderStatus();
      var section = document.getElementById("outbox");
      if (!section) return;
      var list = document.getElementById("outbox-list");
      thumbUrls.forEach(function (url) { URL.revokeObjectURL(url); });
      thumbUrls = [];
      list.textContent = "";
      items.forEach(function (item) { list.appendChild(outboxItem(item)); });
      document.getElementById("outbox-count").textContent = String(items.length);
      section.hidden = items.length === 0;
    }).catch(function () {});
  }

  function renderStatus() {
    var badge = document.getElementById("m-connection");
    if (!badge) return;
    var online = navigator.onLine;
    badge.className = "m-connection " + (online ? "is-online" : "is-offline");
    badge.textContent = online ? t("online") : t("offline");
    var queued = document.getElementById("m-queued");
    queued.hidden = lastCount === 0;
    queued.textContent = t("queued_count", { n: lastCount });
  }

  function notice(text, kind) {
    var box = document.getElementById("m-notices");
    if (!box) return;
    var item = el("li", { className: "m-notice m-notice-" + (kind || "ok") }, [text]);
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 15000);
  }

  function announceSent(body, item) {
    if (!body) return;
    notice(t("delivered", { number: body.number, status: body.status_display }), "ok");
    document.dispatchEvent(new CustomEvent("cityops:delivered", { detail: { item: item, case: body } }));
  }

  document.addEventListener("click", function (event) {
    var send = event.target.closest("[data-outbox-send]");
    var drop = event.target.closest("[data-outbox-delete]");
    var photo = event.target.closest("[data-outbox-photo]");
    if (photo) {
      removeQueuedPhoto(
        photo.getAttribute("data-outbox-photo"), Number(photo.getAttribute("data-index")), photo.getAttribute("data-list")
      );
    } else if (send) {
      deliver(send.getAttribute("data-outbox-send"), false);
    } else if (drop && window.confirm(t("confirm_delete"))) {
      outbox.remove(drop.getAttribute("data-outbox-delete")).then(renderOutbox);
    }
  });

  /* --- photos: shrink in the browser (canvas → JPEG, long side ≤ photoMaxSide) ------------------------- */

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return decodeWithImg(file); });
    }
    return decodeWithImg(file);
  }

  function decodeWithImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("unreadable")); };
      img.src = url;
    });
  }

  function downscale(file) {
    return decode(file).then(function (image) {
      var w = image.width, h = image.height;
      var scale = Math.min(1, config.photoMaxSide / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";  // transparent PNGs become white, not black
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) resolve(blob); else reject(new Error("encode"));
        }, "image/jpeg", config.photoQuality);
      });
    });
  }

  /* --- API helpers for the pages ---------------------------------------------------------------------- */

  function postForm(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: data,
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { ok: response.ok, status: response.status, body: body, message: firstMessage(body) };
      });
    }, function () {
      return { ok: false, status: 0, body: null, message: t("need_online") };
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  /* --- start ------------------------------------------------------------------------------------------ */

  window.addEventListener("online", function () { renderStatus(); flush(false); });
  window.addEventListener("offline", renderStatus);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") flush(false);
  });
  setInterval(function () { flush(false); }, config.retrySeconds * 1000);

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(config.serviceWorker, { scope: config.scope }).catch(function () {});
  }

  window.CityOps = {
    config: config,
    t: t,
    el: el,
    outbox: outbox,
    save: save,
    deliver: deliver,
    flush: flush,
    renderOutbox: renderOutbox,
    notice: notice,
    downscale: downscale,
    postForm: postForm,
    getJSON: getJSON,
    firstMessage: firstMessage,
    csrfToken: csrfToken,
    newKey: newKey,
  };

  renderStatus();
  renderOutbox().then(function () { return flush(false); });
})();
