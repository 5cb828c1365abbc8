/* CityOps mobile service worker, served by the /m/sw.js view (scope /m/), which prepends self.CITYOPS_SHELL:
 * {version, static: [urls], pages: [urls], staticPrefix, photoPrefix, scope}.
 *
 * It keeps the app shell for use without a connection: the /m/ pages (network first, the last good copy when
 * offline), our JS/CSS and Leaflet (cache first; a new version of any of them changes this script, so a new
 * cache replaces the old one), and photo thumbnails seen on the task list. It never touches the API: reports
 * made offline wait in IndexedDB and are sent by the page (static/mobile/app.js), each exactly once. */
"use strict";

var SHELL = self.CITYOPS_SHELL;
var CACHE = "cityops-m-" + SHELL.version;
var MEDIA_CACHE = "cityops-m-media";
var MEDIA_MAX = 120;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(SHELL.static).then(function () {
        // Pages are user-specific: keep them only when signed in (a 200 that is not a redirect to the login).
        return Promise.all(SHELL.pages.map(function (url) {
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (response.ok && !response.redirected) return cache.put(url, response);
          }).catch(function () {});
        }));
      });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("cityops-m-") === 0 && key !== CACHE && key !== MEDIA_CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request.url.split("#")[0], copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreVary: true }).then(function (hit) {
        return hit || cache.match(request.url.split("?")[0], { ignoreVary: true });
      }).then(function (hit) {
        return hit || cache.match(SHELL.scope, { ignoreVary: true });
      });
    }).then(function (hit) {
      return hit || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    });
  });
}

function cacheFirst(request, cacheName, limit) {
  return caches.open(cacheName).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (response.ok) {
          cache.put(request, response.clone());
          if (limit) trim(cache, limit);
        }
        return response;
      });
    });
  });
}

function trim(cache, limit) {
  cache.keys().then(function (keys) {
    keys.slice(0, Math.max(0, keys.length - limit)).forEach(function (key) { cache.delete(key); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.indexOf(SHELL.scope) === 0) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf(SHELL.staticPrefix) === 0) {
    event.respondWith(cacheFirst(request, CACHE));
  } else if (url.pathname.indexOf(SHELL.photoPrefix) === 0) {
    event.respondWith(cacheFirst(request, MEDIA_CACHE, MEDIA_MAX));
  }
});
