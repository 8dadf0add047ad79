/* RecoFlow tracker: sends views, clicks, dwell time and scroll depth to the node's /collect.
 * <script src="http://NODE/tracker.js" data-key="COLLECT_KEY" data-user="USER" data-user-token="USER_TOKEN"
 *         data-item="ITEM" data-consent="true" data-location-consent="false"></script>
 * data-key is the node's publishable collect key (never its admin token); data-user-token is the user's signed token,
 * issued by the site's backend, needed when the node has a user secret. Both travel in the query string, so every
 * request is a simple cross-origin POST and sendBeacon works. Elements with data-rf-item="ITEM" report clicks.
 * window.recoflow.track(type, item, value) sends any other event; recoflow.setUser(id, token) and
 * recoflow.setConsent(bool[, bool]) change who is tracked and whether personalisation (and location: the node then
 * looks the sender's IP up for a country and drops it) is allowed. */
(function () {
  "use strict";
  var script = document.currentScript;
  var ds = (script && script.dataset) || {};
  var base = new URL("/collect", script && script.src ? script.src : location.href).href;
  var state = { user: ds.user || null, item: ds.item || null, consent: ds.consent === "true", locationConsent: ds.locationConsent === "true", key: ds.key || null, userToken: ds.userToken || null };
  var queue = [], seq = 0, started = Date.now(), maxScroll = 0, reported = false;

  function context() {
    var n = navigator, c = { user_agent: n.userAgent };
    try { c.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* no Intl */ }
    if (n.userAgentData) {
      if (n.userAgentData.mobile) c.device_type = "mobile";
      if (n.userAgentData.platform) c.os = n.userAgentData.platform.toLowerCase();
    }
    return c;
  }

  function id() {
    seq += 1;
    return (crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2)) + "-" + seq;
  }

  function track(type, item, value) {
    if (!state.user || !item) return;
    var e = { event_id: id(), user_id: state.user, item_id: String(item), type: type, ts: Date.now(), context: context(), consent: { personalization: state.consent, location: state.locationConsent } };
    if (value !== undefined && value !== null) e.value = value;
    queue.push(e);
    if (queue.length >= 20) flush(false);
  }

  function endpoint() {
    var url = new URL(base);
    if (state.key) url.searchParams.set("key", state.key);
    if (state.userToken) url.searchParams.set("user_token", state.userToken);
    return url.href;
  }

  function flush(leaving) {
    if (!queue.length) return;
    var body = JSON.stringify(queue);
    queue = [];
    if (leaving && navigator.sendBeacon && navigator.sendBeacon(endpoint(), new Blob([body], { type: "text/plain" }))) return;
    fetch(endpoint(), { method: "POST", body: body, headers: { "Content-Type": "text/plain" }, keepalive: true, mode: "cors" }).catch(function () { /* best effort */ });
  }

  function scrollDepth() {
    var doc = document.documentElement, total = doc.scrollHeight - innerHeight;
    var depth = total <= 0 ? 1 : Math.min(1, Math.max(0, scrollY / total));
    if (depth > maxScroll) maxScroll = depth;
  }

  function leave() {
    if (!reported && state.item) {
      reported = true;
      track("dwell", state.item, Math.min(86400, Math.round((Date.now() - started) / 100) / 10));
      track("scroll", state.item, Math.round(maxScroll * 100) / 100);
    }
    flush(true);
  }

  addEventListener("scroll", scrollDepth, { passive: true });
  document.addEventListener("click", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-rf-item]") : null;
    if (el) track("click", el.getAttribute("data-rf-item"));
  }, true);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") leave();
    else { reported = false; started = Date.now(); }
  });
  addEventListener("pagehide", leave);
  setInterval(function () { flush(false); }, 2000);

  window.recoflow = {
    track: track,
    flush: function () { flush(false); },
    // The queued events are the previous user's: they leave with that user's token.
    setUser: function (u, token) { flush(false); state.user = u; state.userToken = token || null; },
    setConsent: function (c, loc) { state.consent = !!c; if (loc !== undefined) state.locationConsent = !!loc; },
    setItem: function (i) { state.item = i; started = Date.now(); maxScroll = 0; reported = false; if (i) track("view", i); }
  };
  scrollDepth();
  if (state.item) track("view", state.item);
})();
