/* Sello's service worker: answers for the offline scoring screen and the evidence files the reviewer stored.

   It stores nothing by itself but fresher copies of what the page stored explicitly (the screen and its
   static files), never a POST, never another page: every other request goes to the network untouched. */
"use strict";
const SHELL = "sello-shell-v1";
const FILES = "sello-files-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

async function refreshing(request, key) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic" && (await cache.match(key))) {
      await cache.put(key, response.clone());
    }
    return response;
  } catch (error) {
    const stored = await cache.match(key);
    if (stored) return stored;
    throw error;
  }
}

async function storedFile(request) {
  const cache = await caches.open(FILES);
  return (await cache.match(request)) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/offline") {
    event.respondWith(refreshing(request, "/offline"));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(refreshing(request, url.pathname));
  } else if (/^\/evidence\/\d+$/.test(url.pathname)) {
    event.respondWith(storedFile(request));
  }
});
