/* RecoFlow service worker (served as /sw.js): shows the Web Push notifications the node sends when a user's top
 * recommendation changed while no page of theirs was open. The payload (decrypted by the browser) is
 * {"items": [...], "titles": [...], "model_version": N, "event_ts": MS}; a click opens (or focuses) the shop. */
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var list = {};
  try { list = event.data ? event.data.json() : {}; } catch (e) { /* not JSON: a plain notification */ }
  var names = (list.titles || list.items || []).slice(0, 3);
  var body = names.length ? "Top pick: " + names[0] + (names.length > 1 ? " · also " + names.slice(1).join(", ") : "") : "Your recommendations changed.";
  event.waitUntil(self.registration.showNotification("New recommendations for you", {
    body: body,
    tag: "recoflow-recommendations",
    renotify: true,
    data: { url: "/shop", items: list.items || [] }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/shop";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (new URL(windows[i].url).pathname === url && "focus" in windows[i]) return windows[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
