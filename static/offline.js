/* The offline scoring screen. Everything a reviewer stores lives in IndexedDB (through idb-keyval) and, for
   the evidence files and this screen, in Cache Storage; changes wait in an ordered queue and sync through
   /api/v1/offline/…/changes, each with its own idempotency key and the score version it started from. */
import { clear, createStore, del, entries, get, set } from "./vendor/idb-keyval/idb-keyval.js";

const config = JSON.parse(document.getElementById("offline-config").textContent);
const T = config.strings;
const db = createStore("sello-offline", "kv");
const SHELL = "sello-shell-v1";
const FILES = "sello-files-v1";
const root = document.getElementById("offline-root");
const net = document.getElementById("net");
let syncing = false;
let accepted = null; // the server's list of accepted assignments, when online
let notice = "";

function fmt(text, params) {
  return text.replace(/%\((\w+)\)s/g, (_m, name) => String(params[name]));
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function csrf() {
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : "";
}

async function api(method, path, body) {
  const response = await fetch(config.api + path, {
    method, credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (_e) { data = null; }
  return { status: response.status, data };
}

/* --- what is on the device ------------------------------------------------------------------------------ */

async function ensureOwner() {
  // The device holds one reviewer's assignments: another person signing in on it starts from nothing.
  const owner = await get("owner", db);
  if (owner !== config.user) {
    await clear(db);
    await caches.delete(FILES);
    await caches.delete(SHELL);
    await set("owner", config.user, db);
  }
}

async function stored() {
  const all = await entries(db);
  return all.filter(([key]) => String(key).startsWith("a:")).map(([, value]) => value)
    .sort((a, b) => a.package.id - b.package.id);
}

async function queue() { return (await get("queue", db)) || []; }
async function rejected() { return (await get("rejected", db)) || []; }

async function saveQueue(items) {
  await set("queue", items, db);
  try { localStorage.setItem("sello-offline-pending", String(items.length)); } catch (_e) { /* private mode */ }
}

function indicatorsOf(pkg) { return pkg.dimensions.flatMap((d) => d.indicators); }

function localFromServer(indicator) {
  const s = indicator.score;
  return s ? { score: s.score, comment: s.comment, evidence_ids: s.evidence_ids, version: s.version, state: "synced" }
           : { version: 0, state: "empty" };
}

function shellFiles() {
  const urls = new Set([config.page]);
  for (const node of document.querySelectorAll('link[rel="stylesheet"], script[src], link[rel="icon"]')) {
    const url = new URL(node.href || node.src, location.href);
    if (url.origin === location.origin) urls.add(url.pathname);
  }
  urls.add(new URL("./vendor/idb-keyval/idb-keyval.js", import.meta.url).pathname);
  return [...urls];
}

async function makeAvailable(id) {
  const answer = await api("GET", `/offline/assignments/${id}`);
  if (answer.status !== 200) return false;
  const pkg = answer.data;
  const shell = await caches.open(SHELL);
  await shell.addAll(shellFiles().filter((url) => url !== config.page));
  // This screen as the reviewer sees it now (their language included), under the one key the worker answers.
  const screen = await fetch(location.pathname + location.search, { credentials: "same-origin", cache: "no-store" });
  if (screen.ok && !screen.redirected) await shell.put(config.page, screen);
  const files = await caches.open(FILES);
  for (const e of pkg.evidence) {
    const url = `${config.evidence}/${e.id}`;
    if (!(await files.match(url))) await files.add(url); // a file never changes under its id: fetched once
  }
  const before = await get(`a:${id}`, db); // read last: an edit made while the files downloaded is kept
  const current = new Set(pkg.evidence.map((e) => e.id));
  for (const e of before ? before.package.evidence : []) {
    if (!current.has(e.id)) await files.delete(`${config.evidence}/${e.id}`); // a file the applicant replaced
  }
  const local = {};
  for (const indicator of indicatorsOf(pkg)) {
    const kept = before && before.local[indicator.code];
    // A change not yet synced stays as it is, with the version it started from.
    local[indicator.code] = kept && kept.state !== "synced" && kept.state !== "empty" ? kept : localFromServer(indicator);
  }
  await set(`a:${id}`, { package: pkg, local, stored_at: new Date().toISOString() }, db);
  return true;
}

async function remove(id, reason) {
  const record = await get(`a:${id}`, db);
  if (!record) return;
  const files = await caches.open(FILES);
  for (const e of record.package.evidence) await files.delete(`${config.evidence}/${e.id}`);
  const items = await queue();
  const left = items.filter((c) => c.assignment_id !== id);
  if (left.length !== items.length) {
    // Never silently lost: what could not be synced is listed with its text until the reviewer discards it.
    const refused = await rejected();
    for (const c of items.filter((x) => x.assignment_id === id)) {
      refused.push({ ...c, reference: record.package.reference, reason: reason || T.withdrawn });
    }
    await set("rejected", refused, db);
  }
  await saveQueue(left);
  await del(`a:${id}`, db);
}

async function refreshFromServer() {
  const answer = await api("GET", "/offline/assignments");
  if (answer.status === 401 || answer.status === 403) { notice = T.login_again; return false; }
  if (answer.status !== 200) return false;
  accepted = answer.data.items;
  const valid = new Set(accepted.map((a) => a.id));
  for (const record of await stored()) {
    if (!valid.has(record.package.id)) await remove(record.package.id, T.withdrawn);
    else await makeAvailable(record.package.id);
  }
  return true;
}

/* --- changes and their sync ----------------------------------------------------------------------------- */

function validate(indicator, score, comment) {
  const rules = indicator.rules;
  const errors = [];
  if (score === undefined) errors.push(T.choose_score);
  else if (score === null) { if (!rules.allows_na) errors.push(T.na_not_allowed); }
  else if (!Number.isInteger(score) || score < rules.scale_min || score > rules.scale_max) {
    errors.push(fmt(T.scale, { min: rules.scale_min, max: rules.scale_max }));
  }
  if (rules.comment_required && !comment) errors.push(T.comment_required);
  else if (comment.length > rules.comment_max) errors.push(fmt(T.too_long, { max: rules.comment_max }));
  return errors;
}

async function record(id, code, score, comment, evidenceIds) {
  const item = await get(`a:${id}`, db);
  const local = item.local[code];
  item.local[code] = { ...local, score, comment, evidence_ids: evidenceIds, state: local.state === "conflict" ? "conflict" : "device" };
  await set(`a:${id}`, item, db);
  const items = await queue();
  const last = [...items].reverse().find((c) => c.assignment_id === id && c.indicator_code === code);
  const change = { key: newKey(), assignment_id: id, indicator_code: code, score, comment, evidence_ids: evidenceIds };
  if (last && !last.attempted && !last.conflict) Object.assign(last, change); // never sent: replaced by the newer edit
  else items.push(change);
  await saveQueue(items);
}

async function sync() {
  if (syncing || !navigator.onLine) return;
  syncing = true;
  render();
  try {
    await refreshFromServer();
    let items = await queue();
    const blocked = new Set(items.filter((c) => c.conflict).map((c) => `${c.assignment_id}:${c.indicator_code}`));
    for (const key of items.map((c) => c.key)) {
      items = await queue();
      const change = items.find((c) => c.key === key);
      if (!change) continue; // replaced meanwhile by a newer edit of the same indicator: sent next round
      const where = `${change.assignment_id}:${change.indicator_code}`;
      if (blocked.has(where)) continue;
      const before = await get(`a:${change.assignment_id}`, db);
      const base = before ? before.local[change.indicator_code].version : 0;
      change.attempted = true;
      await saveQueue(items);
      let answer;
      try {
        answer = await api("POST", `/offline/assignments/${change.assignment_id}/changes`, {
          key: change.key, indicator_code: change.indicator_code, score: change.score, comment: change.comment,
          evidence_ids: change.evidence_ids, base_version: base,
        });
      } catch (_e) {
        break; // the connection dropped: the change stays first in line and is sent again, same key
      }
      if (answer.status === 401 || answer.status === 403) { notice = T.login_again; break; }
      const error = answer.data && answer.data.error;
      if (answer.status !== 200 && !error) break; // not an answer of the API (a proxy, an outage): try later
      // Read again: the reviewer may have edited while the change travelled.
      const item = await get(`a:${change.assignment_id}`, db);
      const local = item && item.local[change.indicator_code];
      items = await queue();
      const current = items.find((c) => c.key === change.key);
      if (answer.status === 200) {
        items = items.filter((c) => c.key !== change.key);
        if (item) {
          local.version = answer.data.version;
          if (!items.some((c) => `${c.assignment_id}:${c.indicator_code}` === where)) local.state = "synced";
          await set(`a:${change.assignment_id}`, item, db);
        }
      } else if (answer.status === 409 && error.code === "concurrent_update") {
        if (current) current.conflict = error.details.current || { none: true };
        blocked.add(where);
        if (item) {
          local.state = "conflict";
          local.server = error.details.current;
          await set(`a:${change.assignment_id}`, item, db);
        }
      } else {
        // Refused for good (withdrawn, submitted, out of the rules): kept aside with its text, never dropped.
        items = items.filter((c) => c.key !== change.key);
        const refused = await rejected();
        const message = error.message;
        refused.push({ ...change, reference: item ? item.package.reference : "", reason: message });
        await set("rejected", refused, db);
        if (item) { local.state = "rejected"; await set(`a:${change.assignment_id}`, item, db); }
      }
      await saveQueue(items);
    }
  } finally {
    syncing = false;
    render();
  }
}

async function resolve(id, code, keepMine) {
  const item = await get(`a:${id}`, db);
  const local = item.local[code];
  const server = local.server;
  let items = await queue();
  if (keepMine) {
    for (const c of items) {
      if (c.assignment_id === id && c.indicator_code === code) { delete c.conflict; c.key = newKey(); c.attempted = false; }
    }
    local.version = server ? server.version : 0;
    local.state = "device";
  } else {
    items = items.filter((c) => !(c.assignment_id === id && c.indicator_code === code));
    Object.assign(local, server ? { score: server.score, comment: server.comment, evidence_ids: server.evidence_ids,
                                    version: server.version, state: "synced" } : { version: 0, state: "empty" });
  }
  delete local.server;
  await set(`a:${id}`, item, db);
  await saveQueue(items);
  await render();
  sync();
}

/* --- screens -------------------------------------------------------------------------------------------- */

function stateText(state) {
  return { synced: T.synced, device: T.saved_device, conflict: T.conflict, rejected: T.rejected }[state] || "";
}

function showScore(value) { return value === null ? T.na : String(value); }

async function renderList() {
  const records = await stored();
  const items = await queue();
  const refused = await rejected();
  const list = el("section", { class: "panel", id: "on-device" }, el("h2", { text: T.on_device }));
  if (!records.length) list.append(el("p", { class: "muted", text: T.nothing_on_device }));
  const ul = el("ul", { class: "cards-list" });
  for (const r of records) {
    const pkg = r.package;
    const total = indicatorsOf(pkg).length;
    const done = Object.values(r.local).filter((l) => l.state !== "empty").length;
    const pending = items.filter((c) => c.assignment_id === pkg.id).length;
    ul.append(el("li", { class: "card-row offline-item", "data-assignment": pkg.id },
      el("h3", {}, el("a", { href: `#a-${pkg.id}`, text: `${pkg.reference} · ${pkg.organization}` })),
      el("p", { class: "muted" }, `${pkg.standard_code} ${pkg.standard_version} · ${fmt(T.scored, { done, total })} · `
        + `${fmt(T.files, { n: pkg.evidence.length })} · ${fmt(T.stored_at, { when: r.stored_at.slice(0, 16).replace("T", " ") })}`),
      pending ? el("p", { class: "badge pending", text: fmt(T.pending, { n: pending }) }) : null,
      el("div", { class: "actions" },
        el("a", { class: "button", href: `#a-${pkg.id}`, text: T.open }),
        el("button", { class: "secondary", type: "button", onclick: async () => { await remove(pkg.id, T.removed); render(); }, text: T.remove }))));
  }
  list.append(ul);
  if (items.length) list.append(el("button", { type: "button", id: "sync-now", onclick: () => sync(), text: T.sync_now }));
  const parts = [list];
  if (refused.length) {
    const box = el("section", { class: "panel refused", id: "refused" }, el("h2", { text: T.rejected_list }));
    refused.forEach((c, n) => box.append(el("div", { class: "card-row" },
      el("p", {}, el("strong", { text: `${c.reference} · ${c.indicator_code}: ${showScore(c.score)}` }), ` — ${c.reason}`),
      el("blockquote", { text: c.comment }),
      el("button", { type: "button", class: "secondary", onclick: async () => {
        const all = await rejected(); all.splice(n, 1); await set("rejected", all, db); render();
      }, text: T.discard }))));
    parts.push(box);
  }
  if (accepted) {
    const have = new Set(records.map((r) => r.package.id));
    const box = el("section", { class: "panel", id: "accepted" }, el("h2", { text: T.accepted }));
    if (!accepted.length) box.append(el("p", { class: "muted", text: T.no_accepted }));
    const rows = el("ul", { class: "cards-list" });
    for (const a of accepted) {
      rows.append(el("li", { class: "card-row" }, el("strong", { text: `${a.reference} · ${a.organization}` }), " ",
        el("span", { class: "muted", text: `${a.standard_code} ${a.standard_version}${a.due_on ? " · " + a.due_on : ""}` }), " ",
        have.has(a.id) ? el("span", { class: "badge ok", text: T.on_device })
          : el("button", { type: "button", class: "make-offline", "data-assignment": a.id, onclick: async (ev) => {
              ev.target.disabled = true; ev.target.textContent = T.storing; await makeAvailable(a.id); render();
            }, text: T.make_offline })));
    }
    box.append(rows);
    if (accepted.some((a) => !have.has(a.id))) {
      box.append(el("button", { type: "button", id: "make-all", onclick: async (ev) => {
        ev.target.disabled = true; ev.target.textContent = T.storing;
        for (const a of accepted) if (!have.has(a.id)) await makeAvailable(a.id);
        render();
      }, text: T.make_all_offline }));
    }
    parts.push(box);
  }
  return parts;
}

function indicatorCard(pkg, indicator, local) {
  const rules = indicator.rules;
  const editable = pkg.editable && local.state !== "rejected";
  const name = `score-${indicator.code}`;
  const levels = indicator.rubric.map((r) => el("label", { class: "level" },
    el("input", { type: "radio", name, value: String(r.level), checked: local.state !== "empty" && local.score === r.level, disabled: !editable }),
    " ", el("strong", { class: "level-value", text: String(r.level) }), " ", el("span", { class: "descriptor", text: r.descriptor })));
  if (rules.allows_na) {
    levels.push(el("label", { class: "level" },
      el("input", { type: "radio", name, value: "na", checked: local.state !== "empty" && local.score === null, disabled: !editable }),
      " ", el("strong", { class: "level-value", text: T.na }), " ", el("span", { class: "descriptor", text: T.na_text })));
  }
  const files = pkg.evidence.filter((e) => indicator.evidence_ids.includes(e.id));
  const cited = new Set(local.evidence_ids || []);
  const comment = el("textarea", { name: "comment", rows: "3", maxlength: String(rules.comment_max), disabled: !editable });
  comment.value = local.comment || "";
  const status = el("p", { class: `sync-state ${local.state}`, "data-state": local.state, role: "status", text: stateText(local.state) });
  const errors = el("p", { class: "field-error", hidden: true });
  const form = el("form", { class: "stack", "data-code": indicator.code },
    el("fieldset", { class: "rubric" }, el("legend", { text: `${T.score} (${rules.scale_min}–${rules.scale_max})` }), levels),
    files.length ? el("fieldset", { class: "cite" }, el("legend", { text: T.cited }),
      files.map((e) => el("label", {}, el("input", { type: "checkbox", name: "evidence_ids", value: String(e.id), checked: cited.has(e.id), disabled: !editable }), ` ${e.filename}`))) : null,
    el("label", {}, T.comment, comment), errors,
    editable ? el("button", { type: "submit", text: T.save }) : null, status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const raw = data.get(name);
    const score = raw === null ? undefined : raw === "na" ? null : Number(raw);
    const text = String(data.get("comment") || "").trim();
    const problems = validate(indicator, score, text);
    errors.hidden = !problems.length;
    errors.textContent = problems.join(" ");
    if (problems.length) return;
    await record(pkg.id, indicator.code, score, text, data.getAll("evidence_ids").map(Number).sort((a, b) => a - b));
    await render(true);
    const saved = document.querySelector(`#ind-${CSS.escape(indicator.code)} .sync-state`);
    if (saved) saved.scrollIntoView({ block: "center" }); // the redrawn card, its "saved" line in view
    sync();
  });
  const own = indicator.self_assessment;
  const rubricOf = (rating) => (indicator.rubric.find((r) => r.level === rating) || {}).descriptor || "";
  return el("article", { id: `ind-${indicator.code}`, class: `indicator ${local.state !== "empty" ? "done" : ""}` },
    el("h3", {}, indicator.code, indicator.essential ? " " : null, indicator.essential ? el("span", { class: "badge essential", text: T.essential }) : null),
    el("p", { text: indicator.text }),
    indicator.guidance ? el("details", {}, el("summary", { text: T.guidance }), el("p", { text: indicator.guidance })) : null,
    el("div", { class: "self" },
      el("p", {}, `${T.self_rating}: `, el("strong", { text: own && own.rating !== null ? String(own.rating) : T.na }),
        own && own.rating !== null ? ` · ${rubricOf(own.rating)}` : ""),
      own ? el("blockquote", { text: own.explanation }) : el("p", { class: "muted", text: T.not_assessed })),
    el("p", { class: "evidence-links" }, files.length ? files.map((e) => [el("a", { href: `${config.evidence}/${e.id}`, text: e.filename }), " "])
      : el("span", { class: "muted", text: T.no_evidence })),
    local.state === "conflict" ? conflictBox(pkg.id, indicator.code, local) : null,
    form);
}

function conflictBox(id, code, local) {
  const server = local.server;
  return el("div", { class: "conflict", role: "alert" },
    el("p", {}, el("strong", { text: T.conflict })),
    el("div", { class: "versions" },
      el("div", { class: "version server" }, el("h4", { text: T.server_value }),
        server ? [el("p", {}, el("strong", { text: showScore(server.score) })), el("blockquote", { text: server.comment })] : el("p", { text: "—" })),
      el("div", { class: "version mine" }, el("h4", { text: T.your_value }),
        el("p", {}, el("strong", { text: showScore(local.score) })), el("blockquote", { text: local.comment }))),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "keep-mine", onclick: () => resolve(id, code, true), text: T.keep_mine }),
      el("button", { type: "button", class: "secondary keep-server", onclick: () => resolve(id, code, false), text: T.keep_server })));
}

async function renderAssignment(id) {
  const item = await get(`a:${id}`, db);
  if (!item) { location.hash = ""; return renderList(); }
  const pkg = item.package;
  const indicators = indicatorsOf(pkg);
  const done = indicators.filter((i) => item.local[i.code].state !== "empty").length;
  const parts = [
    el("p", {}, el("a", { href: "#", text: `← ${T.back}` })),
    el("h2", { id: "assignment-title", text: `${pkg.reference} · ${pkg.organization}` }),
    el("p", { class: "progress-label", id: "offline-progress", text: fmt(T.scored, { done, total: indicators.length }) }),
    el("progress", { max: String(indicators.length), value: String(done) }),
  ];
  if (!pkg.editable) parts.push(el("p", { class: "flash error", text: T.not_editable }));
  for (const d of pkg.dimensions) {
    parts.push(el("h2", { text: `${d.code} · ${d.title}` }));
    for (const indicator of d.indicators) parts.push(indicatorCard(pkg, indicator, item.local[indicator.code]));
  }
  const online = navigator.onLine;
  parts.push(el("section", { class: "card-row", id: "submit-note" }, el("p", { text: T.submit_online }),
    online ? el("a", { class: "button", href: `${config.scoring}/${pkg.id}#submit`, text: T.submit_page })
      : el("button", { type: "button", disabled: true, text: T.submit_page })));
  return parts;
}

async function render(force) {
  const online = navigator.onLine;
  net.textContent = (syncing ? T.syncing + " " : "") + (online ? T.online : T.offline) + (notice ? " " + notice : "");
  net.className = `net ${online ? "online" : "offline"}`;
  const match = /^#a-(\d+)$/.exec(location.hash);
  const parts = match ? await renderAssignment(Number(match[1])) : await renderList();
  const typing = document.activeElement;
  if (!force && typing && typing.tagName === "TEXTAREA" && root.contains(typing)) return; // not under the fingers
  root.replaceChildren(...parts);
  root.dataset.ready = "true";
}

async function start() {
  await ensureOwner();
  if ("serviceWorker" in navigator) {
    try { await navigator.serviceWorker.register(config.worker, { scope: "/" }); } catch (_e) { /* still usable online */ }
  }
  window.addEventListener("hashchange", () => { render(); window.scrollTo(0, 0); });
  window.addEventListener("online", () => sync());
  window.addEventListener("offline", () => render());
  setInterval(() => { if (navigator.onLine) queue().then((q) => { if (q.length) sync(); }); }, 30000);
  await render();
  if (navigator.onLine) await sync();
}

start();
