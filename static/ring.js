/*
 * ring.js: keeps a page rendered by ringserver up to date over a WebSocket.
 * One file, no dependencies, no build step. docs/instructions.md describes
 * the instructions it applies and the markup they rely on.
 *
 * What it expects in the page:
 *   - <meta name="ring-socket" content="/ring?token=TOKEN">: the socket
 *     path with the page's signed token. The socket is opened on the page's
 *     own host and port (wss: on an https: page, ws: otherwise) with the
 *     subprotocol "ring".
 *   - data-ring-channel="CHANNEL" on each region that a channel updates, and
 *     data-ring-version="N" there with the version the page was rendered at.
 *   - data-scope="SCOPE" on scope elements and data-prop="KEY" on the
 *     elements that show a value. A data-prop element belongs to its nearest
 *     enclosing scope; the region itself may be that scope. Collection items
 *     carry data-scope and data-id; <template data-ring-template="SCOPE">
 *     contains the element new items are copied from, and
 *     <template data-ring-removed="KEY"> contains a removed data-prop
 *     element.
 *   - data-attrs and data-classes on an element list the attributes and
 *     classes that instructions may change on it.
 *
 * What it does:
 *   - applies each push {"channel","version","from","payload"} when the page
 *     shows version `from`, and each full push {"channel","version",
 *     "full":true,"payload"} whose version is not older than the one shown;
 *     it ignores a push whose version is not newer than the one shown, and
 *     on a gap sends {"action":"catch-up","id","versions":{CHANNEL:N}};
 *   - writes values only with textContent and setAttribute, and makes items
 *     by cloning the page's own <template>, so no value is parsed as markup;
 *   - reconnects with capped, jittered exponential backoff, stating the
 *     versions it shows in since=CHANNEL@VERSION,… so that the server sends
 *     only the channels that moved on, and sends a ping every 25 s;
 *   - reloads the page when the server rejects an expired token, since only
 *     a fresh render carries a new one;
 *   - sets <html data-ring-state> to "connecting", "open" or "closed", and
 *     exposes window.ring (state, socket, versions(), ping()) for debugging.
 */
(function () {
    "use strict";

    const RETRY_BASE_MS = 500;
    const RETRY_MAX_MS = 10000;
    const HEARTBEAT_INTERVAL_MS = 25000;
    const SUBPROTOCOL = "ring";
    const ATTRIBUTE_NAME = /^[a-zA-Z_:][-a-zA-Z0-9_:.]*$/;

    /* The one socket this page keeps, and the timers that serve it. */
    const connection = {
        url: null,
        socket: null,
        state: "closed",
        failedAttempts: 0,
        retryTimer: 0,
        heartbeatTimer: 0,
        nextPingNumber: 1,
        nextCatchUpNumber: 1,
        stopped: false,
    };

    /* channel -> version of the state the page shows */
    const versions = new Map();
    /* channel -> id of the catch-up request in flight for it */
    const pendingCatchUps = new Map();
    /* ping id -> {resolve, reject} of a pending window.ring.ping() */
    const pendingPings = new Map();
    /* ops already reported as unknown, so each is reported once */
    const reportedOps = new Set();

    function setState(state) {
        connection.state = state;
        document.documentElement.setAttribute("data-ring-state", state);
    }

    /* Returns the socket URL from the ring-socket meta tag, or null. */
    function readSocketUrl() {
        const meta = document.querySelector('meta[name="ring-socket"]');
        if (!meta || !meta.content) {
            return null;
        }

        const url = new URL(meta.content, location.href);
        url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
        url.host = location.host;
        return url.href;
    }

    /* Records the version each region was rendered at. */
    function readRenderedVersions() {
        for (const region of document.querySelectorAll("[data-ring-channel]")) {
            const version = Number(region.getAttribute("data-ring-version"));
            if (Number.isSafeInteger(version) && version > 0) {
                versions.set(region.getAttribute("data-ring-channel"), version);
            }
        }
    }

    /* ---- finding elements ---- */

    function findRegions(channel) {
        const regions = [];
        const candidates = document.querySelectorAll("[data-ring-channel]");
        for (const region of candidates) {
            if (region.getAttribute("data-ring-channel") === channel) {
                regions.push(region);
            }
        }
        return regions;
    }

    /* Returns the scope element that `node` (a data-prop element or a
     * removed-node <template>) belongs to. */
    function findOwnerScope(node) {
        const parent = node.parentElement;
        return parent ? parent.closest("[data-scope]") : null;
    }

    /* Returns the elements of `region` (itself included) for scope `scope`:
     * the items with data-id `id` when id is a string, otherwise the scope
     * elements that are not items. */
    function findScopeElements(region, scope, id) {
        const found = [];
        const candidates = [region, ...region.querySelectorAll("[data-scope]")];
        for (const element of candidates) {
            if (element.getAttribute("data-scope") !== scope) {
                continue;
            }
            const itemId = element.getAttribute("data-id");
            if (typeof id === "string" ? itemId === id : itemId === null) {
                found.push(element);
            }
        }
        return found;
    }

    /* Returns the data-prop elements of `scopeElement` named `prop` that are
     * shown, and the <template> holders of those that are removed. */
    function findPropElements(scopeElement, prop) {
        const shown = [];
        const removed = [];
        for (const element of scopeElement.querySelectorAll("[data-prop]")) {
            if (element.getAttribute("data-prop") === prop &&
                findOwnerScope(element) === scopeElement) {
                shown.push(element);
            }
        }
        const holders = scopeElement.querySelectorAll(
            "template[data-ring-removed]");
        for (const holder of holders) {
            if (holder.getAttribute("data-ring-removed") === prop &&
                findOwnerScope(holder) === scopeElement &&
                holder.content.firstElementChild) {
                removed.push(holder);
            }
        }
        return { shown, removed };
    }

    /* Returns the elements an attribute or class instruction targets: the
     * prop's elements, removed ones too, or else the scope elements. */
    function findTargets(scopeElements, prop) {
        if (typeof prop !== "string") {
            return scopeElements;
        }
        const targets = [];
        for (const scopeElement of scopeElements) {
            const { shown, removed } = findPropElements(scopeElement, prop);
            targets.push(...shown);
            for (const holder of removed) {
                targets.push(holder.content.firstElementChild);
            }
        }
        return targets;
    }

    /* Returns true when the element's `listAttribute` (data-attrs or
     * data-classes) lists `name`: instructions change only what the
     * template declares. */
    function declares(element, listAttribute, name) {
        const list = element.getAttribute(listAttribute);
        return list !== null && list.split(/\s+/).includes(name);
    }

    /* ---- applying values ---- */

    function showRemoved(holder) {
        const element = holder.content.firstElementChild;
        holder.replaceWith(element);
        return element;
    }

    function setText(scopeElements, prop, text) {
        for (const scopeElement of scopeElements) {
            const { shown, removed } = findPropElements(scopeElement, prop);
            for (const holder of removed) {
                shown.push(showRemoved(holder));
            }
            for (const element of shown) {
                if (element.textContent !== text) {
                    element.textContent = text;
                }
            }
        }
    }

    /* Puts each shown element of the prop into a <template> holder that
     * keeps its place, so that a later text instruction can bring it back. */
    function removeNodes(scopeElements, prop) {
        for (const scopeElement of scopeElements) {
            for (const element of findPropElements(scopeElement, prop).shown) {
                const holder = document.createElement("template");
                holder.setAttribute("data-ring-removed", prop);
                element.replaceWith(holder);
                holder.content.appendChild(element);
            }
        }
    }

    function setAttribute(targets, name, value) {
        if (!ATTRIBUTE_NAME.test(name) || /^on/i.test(name)) {
            console.warn("ring: ignored attribute name", name);
            return;
        }
        for (const element of targets) {
            if (!declares(element, "data-attrs", name)) {
                continue;
            }
            if (value === null) {
                element.removeAttribute(name);
            } else if (element.getAttribute(name) !== value) {
                element.setAttribute(name, value);
            }
        }
    }

    function setClass(targets, name, present) {
        for (const element of targets) {
            if (declares(element, "data-classes", name)) {
                element.classList.toggle(name, present);
            }
        }
    }

    /* ---- collections ---- */

    /* Returns the <template data-ring-template> holders of `scope`. */
    function findItemTemplates(region, scope) {
        const found = [];
        for (const holder of region.querySelectorAll(
            "template[data-ring-template]")) {
            if (holder.getAttribute("data-ring-template") === scope) {
                found.push(holder);
            }
        }
        return found;
    }

    /* Returns the items of `scope` that sit next to `holder`, in order. */
    function listItems(holder, scope) {
        return Array.from(holder.parentNode.children).filter((element) =>
            element.getAttribute("data-scope") === scope &&
            element.hasAttribute("data-id"));
    }

    function newItem(holder, id) {
        const item = holder.content.firstElementChild.cloneNode(true);
        item.setAttribute("data-id", id);
        return item;
    }

    /* Puts `item` at position `index` among the other items of its list. */
    function placeItem(holder, scope, item, index) {
        const others = listItems(holder, scope).filter((other) =>
            other !== item);
        const before = others[index] || holder;
        if (item.nextElementSibling !== before || item.parentNode === null) {
            holder.parentNode.insertBefore(item, before);
        }
    }

    function insertOrMoveItem(region, scope, id, index) {
        for (const holder of findItemTemplates(region, scope)) {
            const existing = listItems(holder, scope).find((element) =>
                element.getAttribute("data-id") === id);
            placeItem(holder, scope, existing || newItem(holder, id), index);
        }
    }

    function removeItem(region, scope, id) {
        for (const item of findScopeElements(region, scope, id)) {
            item.remove();
        }
    }

    /* Makes the list exactly `ids`, in that order, keeping the items it
     * already has (a full snapshot then sets every value). */
    function setListIds(region, scope, ids) {
        for (const holder of findItemTemplates(region, scope)) {
            const existing = new Map();
            for (const item of listItems(holder, scope)) {
                existing.set(item.getAttribute("data-id"), item);
            }
            const wanted = new Set(ids);
            for (const [id, item] of existing) {
                if (!wanted.has(id)) {
                    item.remove();
                }
            }
            for (const id of ids) {
                const item = existing.get(id) || newItem(holder, id);
                holder.parentNode.insertBefore(item, holder);
            }
        }
    }

    /* ---- instructions ---- */

    function reportUnknownOp(instruction) {
        const op = String(instruction ? instruction.op : instruction);
        if (!reportedOps.has(op)) {
            reportedOps.add(op);
            console.warn("ring: ignored instruction with unknown op", op);
        }
    }

    function applyToRegion(region, instruction) {
        const scope = String(instruction.scope);
        const id = typeof instruction.id === "string" ? instruction.id : null;
        const value = instruction.value == null ? "" :
            String(instruction.value);
        const index = Number(instruction.index) || 0;
        const scopes = () => findScopeElements(region, scope, id);

        switch (instruction.op) {
        case "text":
            return setText(scopes(), String(instruction.prop), value);
        case "remove-node":
            return removeNodes(scopes(), String(instruction.prop));
        case "set-attr":
            return setAttribute(findTargets(scopes(), instruction.prop),
                                String(instruction.name), value);
        case "remove-attr":
            return setAttribute(findTargets(scopes(), instruction.prop),
                                String(instruction.name), null);
        case "add-class":
        case "remove-class":
            return setClass(findTargets(scopes(), instruction.prop),
                            String(instruction.name),
                            instruction.op === "add-class");
        case "insert-item":
        case "move-item":
            return insertOrMoveItem(region, scope, String(id), index);
        case "remove-item":
            return removeItem(region, scope, String(id));
        case "list":
            return setListIds(region, scope, Array.isArray(instruction.ids) ?
                instruction.ids.map(String) : []);
        default:
            return reportUnknownOp(instruction);
        }
    }

    function applyPayload(channel, payload) {
        const regions = findRegions(channel);
        for (const instruction of payload) {
            if (!instruction || typeof instruction !== "object") {
                reportUnknownOp(instruction);
                continue;
            }
            for (const region of regions) {
                applyToRegion(region, instruction);
            }
        }
    }

    /* Asks the server for the current state of `channel`, once at a time. */
    function requestCatchUp(channel, shown) {
        const socket = connection.socket;
        if (pendingCatchUps.has(channel) || !socket ||
            socket.readyState !== WebSocket.OPEN) {
            return;
        }

        const id = "c-" + connection.nextCatchUpNumber++;
        pendingCatchUps.set(channel, id);
        socket.send(JSON.stringify({
            action: "catch-up",
            id: id,
            versions: { [channel]: shown === undefined ? 0 : shown },
        }));
    }

    function applyPush(push) {
        if (typeof push.version !== "number" || !Array.isArray(push.payload)) {
            console.warn("ring: ignored malformed push on channel",
                         push.channel);
            return;
        }

        const channel = push.channel;
        const shown = versions.get(channel);
        if (push.full) {
            if (shown !== undefined && push.version < shown) {
                return;
            }
            pendingCatchUps.delete(channel);
            /* The server serves this page: start the next backoff afresh. */
            connection.failedAttempts = 0;
        } else {
            if (shown !== undefined && push.version <= shown) {
                return; /* already shown: a duplicate or a stale push */
            }
            if (shown === undefined || push.from !== shown) {
                requestCatchUp(channel, shown);
                return;
            }
        }

        applyPayload(channel, push.payload);
        versions.set(channel, push.version);
    }

    /* ---- replies and pings ---- */

    function settleReply(reply) {
        for (const [channel, id] of pendingCatchUps) {
            if (id === reply.id) {
                pendingCatchUps.delete(channel);
            }
        }

        const pending = pendingPings.get(reply.id);
        if (pending) {
            pendingPings.delete(reply.id);
            pending.resolve(reply);
            return;
        }

        if (reply.status !== 200) {
            console.warn("ring: request", reply.id, "failed with status",
                         reply.status, reply.error);
        }
    }

    /* Sends a ping with `id`. Returns false when the socket is not open. */
    function sendPing(id) {
        const socket = connection.socket;
        if (!socket || socket.readyState !== WebSocket.OPEN) {
            return false;
        }
        socket.send(JSON.stringify({ action: "ping", id: id }));
        return true;
    }

    /* Sends a ping and returns a promise of the server's reply object. */
    function pingForDebugging() {
        const id = "debug-" + connection.nextPingNumber++;
        return new Promise(function (resolve, reject) {
            if (!sendPing(id)) {
                reject(new Error("ring: socket is not open"));
                return;
            }
            pendingPings.set(id, { resolve: resolve, reject: reject });
        });
    }

    function rejectPendingPings() {
        for (const pending of pendingPings.values()) {
            pending.reject(new Error("ring: socket closed before the reply"));
        }
        pendingPings.clear();
    }

    function startHeartbeat() {
        stopHeartbeat();
        connection.heartbeatTimer = setInterval(function () {
            sendPing("hb-" + connection.nextPingNumber++);
        }, HEARTBEAT_INTERVAL_MS);
    }

    function stopHeartbeat() {
        clearInterval(connection.heartbeatTimer);
        connection.heartbeatTimer = 0;
    }

    /* ---- the socket ---- */

    function handleMessage(event) {
        let message;
        try {
            message = JSON.parse(event.data);
        } catch (err) {
            console.warn("ring: ignored a message that is not JSON");
            return;
        }

        if (message && typeof message.channel === "string") {
            applyPush(message);
        } else if (message && "id" in message) {
            settleReply(message);
        } else {
            console.warn("ring: ignored a message that is neither a push " +
                         "nor a reply");
        }
    }

    /* Waits a random time up to the capped exponential bound, then connects. */
    function scheduleReconnect() {
        const growth = Math.pow(2, connection.failedAttempts);
        const bound = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * growth);
        const delay = Math.floor(Math.random() * bound);
        connection.failedAttempts++;
        connection.retryTimer = setTimeout(connect, delay);
        console.debug("ring: reconnecting in", delay, "ms");
    }

    function handleClose(socket, event) {
        if (socket !== connection.socket) {
            return;
        }

        connection.socket = null;
        pendingCatchUps.clear();
        stopHeartbeat();
        rejectPendingPings();
        setState("closed");
        if (connection.stopped) {
            return;
        }

        if (event.code === 1008 && /token expired/.test(event.reason)) {
            console.info("ring: the page's token expired; reloading");
            location.reload();
            return;
        }

        /* 1000, 1001 and 1006 are what a server restart or a lost network
         * looks like; anything else means the server rejected this page. */
        if (event.code === 1000 || event.code === 1001 || event.code === 1006) {
            console.info("ring: socket closed with code", event.code);
        } else {
            console.warn("ring: socket closed with code", event.code,
                         event.reason);
        }
        scheduleReconnect();
    }

    /* Returns the socket URL with the versions the page shows, so that a
     * reconnect brings only what changed meanwhile. */
    function socketUrlWithVersions() {
        if (versions.size === 0) {
            return connection.url;
        }

        const url = new URL(connection.url);
        const shown = [];
        for (const [channel, version] of versions) {
            shown.push(channel + "@" + version);
        }
        url.searchParams.set("since", shown.join(","));
        return url.href;
    }

    function connect() {
        connection.retryTimer = 0;
        setState("connecting");

        let socket;
        try {
            socket = new WebSocket(socketUrlWithVersions(), SUBPROTOCOL);
        } catch (err) {
            console.warn("ring: cannot open a socket to", connection.url, err);
            setState("closed");
            return;
        }

        connection.socket = socket;
        socket.addEventListener("open", function () {
            if (socket === connection.socket) {
                setState("open");
                startHeartbeat();
            }
        });
        socket.addEventListener("message", handleMessage);
        socket.addEventListener("close", function (event) {
            handleClose(socket, event);
        });
    }

    function start() {
        connection.stopped = false;
        if (!connection.socket && !connection.retryTimer) {
            connect();
        }
    }

    /* Called when the page is left: no reconnect from a page being unloaded. */
    function stop() {
        connection.stopped = true;
        clearTimeout(connection.retryTimer);
        connection.retryTimer = 0;
        if (connection.socket) {
            connection.socket.close(1000);
        }
    }

    /* ---- start-up ---- */

    const debugHook = Object.freeze({
        get state() {
            return connection.state;
        },
        get socket() {
            return connection.socket;
        },
        versions: function () {
            return Object.fromEntries(versions);
        },
        ping: pingForDebugging,
    });
    Object.defineProperty(window, "ring", {
        value: debugHook,
        enumerable: true,
    });

    readRenderedVersions();
    connection.url = readSocketUrl();
    if (!connection.url) {
        console.info("ring: no <meta name=\"ring-socket\">, staying offline");
        return;
    }

    window.addEventListener("pagehide", stop);
    window.addEventListener("pageshow", function (event) {
        /* A page restored from the back/forward cache needs a new socket. */
        if (event.persisted) {
            start();
        }
    });

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
