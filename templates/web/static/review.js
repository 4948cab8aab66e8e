// The review page's one script (same origin, no inline code): its buttons post the editor's
// edits to the page's JSON API, then the page is fetched again and its parts swapped in, so
// what it shows is always what the server holds. Search filters the candidates in place.
(() => {
  "use strict";
  const body = document.body;
  const link = body.dataset.link;
  const csrf = body.dataset.csrf;
  const parts = ["counts", "state", "state-note", "actions", "issue", "candidates"];
  let busy = false;

  const $ = (id) => document.getElementById(id);
  const version = () => Number(body.dataset.version);

  // The bar stays in view: the preview beside it starts just below it, however tall it is.
  function measure() {
    const bar = $("bar");
    if (bar) document.documentElement.style.setProperty("--bar", bar.offsetHeight + "px");
  }
  window.addEventListener("resize", measure);

  function say(text, bad) {
    const box = $("message");
    box.textContent = text;
    box.className = bad ? "message bad" : "message";
    measure();
  }

  async function post(path, data) {
    const reply = await fetch(link + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data),
    });
    let answer = {};
    try { answer = await reply.json(); } catch (e) { answer = {}; }
    return { status: reply.status, answer };
  }

  // The page as the server has it now: its parts swapped in, focus kept where it was.
  async function refresh(focus) {
    const reply = await fetch(link, { credentials: "same-origin" });
    if (!reply.ok) { say("The page could not be reloaded: reload it.", true); return; }
    const fresh = new DOMParser().parseFromString(await reply.text(), "text/html");
    for (const id of parts) {
      const here = $(id), there = fresh.getElementById(id);
      if (here && there) here.replaceWith(document.importNode(there, true));
    }
    for (const key of ["version", "status"]) body.dataset[key] = fresh.body.dataset[key];
    const frame = $("frame"), next = fresh.getElementById("frame");
    if (frame && next && frame.getAttribute("src") !== next.getAttribute("src")) {
      frame.setAttribute("src", next.getAttribute("src"));
    }
    filter();
    measure();
    if (focus) {
      const target = document.querySelector(focus) || $("search");
      if (target) target.focus({ preventScroll: true });
    }
  }

  function lines(diff) {
    return (diff && diff.lines && diff.lines.length) ? " (" + diff.lines.join("; ") + ")" : "";
  }

  async function edit(edits, focus) {
    if (busy) return;
    busy = true;
    say("Saving…");
    try {
      const { status, answer } = await post("/edits", Object.assign({ version: version() }, edits));
      if (status === 409) {
        say(answer.error + lines(answer.difference) + ". This is the draft as it is now.", true);
      } else if (status !== 200) {
        say((answer.error || "Something went wrong") + ": nothing was changed.", true);
        return;
      } else {
        const done = [];
        const applied = answer.applied || {};
        if ((applied.added || []).length) done.push("added " + applied.added.length);
        if ((applied.removed || []).length) done.push("removed " + applied.removed.length);
        if ((applied.moved || []).length) done.push("moved " + applied.moved.length);
        if ((applied.reordered || []).length) done.push("new order");
        let text = done.length ? "Saved: " + done.join(", ") + " · version " + answer.version : "Nothing changed.";
        const refused = (answer.refused || []).map((r) => r.item + ": " + r.reason);
        if (refused.length) text += " Not applied: " + refused.join("; ");
        say(text, refused.length > 0);
      }
      await refresh(focus);
    } catch (e) {
      say("The server could not be reached: nothing was changed.", true);
    } finally {
      busy = false;
    }
  }

  function sectionOf(button) {
    const menu = button.closest("li").querySelector("select");
    return button.dataset.section || (menu && menu.value);
  }

  function reorder(button, step) {
    const list = button.closest("ol.papers");
    const ids = [...list.children].map((li) => li.dataset.id);
    const at = ids.indexOf(button.dataset.id), to = at + step;
    if (at < 0 || to < 0 || to >= ids.length) return;
    [ids[at], ids[to]] = [ids[to], ids[at]];
    const act = step < 0 ? "up" : "down";
    edit({ order: [{ section: list.dataset.section, arxiv_ids: ids }] },
      `[data-act="${act}"][data-id="${button.dataset.id}"]:not(:disabled)`);
  }

  // Where focus goes after a button's edit: the same place in the list, not the page's top.
  function after(button) {
    const row = button.closest("li");
    if (row && row.closest("#issue")) {
      const near = row.nextElementSibling || row.previousElementSibling;
      if (near && near.dataset.id) return `#issue li[data-id="${near.dataset.id}"] [data-act="remove"]`;
    }
    return `#candidates li[data-id="${button.dataset.id}"] button[data-act]`;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-act]");
    if (!button || button.disabled) return;
    const id = button.dataset.id;
    switch (button.dataset.act) {
      case "remove":
        edit({ remove: [id] }, after(button));
        break;
      case "add":  // into the section chosen beside it (the classifier's guess preselected)
        edit({ move: [{ arxiv_id: id, section: sectionOf(button) }] }, after(button));
        break;
      case "up":
        reorder(button, -1);
        break;
      case "down":
        reorder(button, 1);
        break;
    }
  });

  // A section menu moves its paper when a choice is made; arrow keys on the closed menu
  // only choose, and Enter (or leaving it) moves, so browsing the menu moves nothing.
  function move(menu) {
    delete menu.dataset.pending;
    edit({ move: [{ arxiv_id: menu.dataset.id, section: menu.value }] },
      `#issue select[data-id="${menu.dataset.id}"]`);
  }
  document.addEventListener("keydown", (event) => {
    const menu = event.target.closest && event.target.closest('select[data-act="move"]');
    if (!menu) return;
    if (event.key === "Enter" && menu.dataset.pending) { event.preventDefault(); move(menu); }
    else if ((event.key.length === 1 && event.key !== " ") || event.key.startsWith("Arrow")
      || ["Home", "End", "PageUp", "PageDown"].includes(event.key)) {
      menu.dataset.keyed = "1";  // choosing on the closed menu; a space opens it instead
    }
  });
  document.addEventListener("change", (event) => {
    const menu = event.target.closest('select[data-act="move"]');
    if (!menu) return;
    if (menu.dataset.keyed) {
      delete menu.dataset.keyed;
      menu.dataset.pending = "1";
      say("Press Enter to move it to " + menu.value + ".");
      return;
    }
    move(menu);
  });
  document.addEventListener("focusout", (event) => {
    const menu = event.target.closest && event.target.closest('select[data-act="move"]');
    if (menu && menu.dataset.pending) move(menu);
  });

  async function answer(path, data, button) {
    if (busy) return;
    busy = true;
    button.disabled = true;
    say(path === "/approve" ? "Approving…" : "Sending the proof…");
    try {
      const { status, answer } = await post(path, data);
      if (status === 200) say(answer.message || "Done.");
      else say((answer.error || "Something went wrong") + lines(answer.difference) + ".", true);
      await refresh("#" + button.id);
    } catch (e) {
      say("The server could not be reached: nothing was changed.", true);
      button.disabled = false;
    } finally {
      busy = false;
    }
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("#approve, #proof");
    if (!button || button.disabled) return;
    if (button.id === "approve") answer("/approve", { version: version() }, button);
    else answer("/proof", {}, button);
  });

  // Search: title or arXiv id, every word must match.
  function filter() {
    const box = $("search");
    if (!box) return;
    const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    const rows = document.querySelectorAll("#candidates > li");
    let shown = 0;
    for (const row of rows) {
      const hit = words.every((w) => row.dataset.search.includes(w));
      row.hidden = !hit;
      if (hit) shown += 1;
    }
    $("search-count").textContent = words.length ? `${shown} of ${rows.length} candidates match` : "";
  }
  $("search").addEventListener("input", filter);
  measure();
})();
