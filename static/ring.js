/*
 * ring.js: keeps a page rendered by ringserver up to date over a WebSocket.
 * One file, no dependencies, no build step.
 *
 * What it expects in the page:
 *   - <meta name="ring-socket" content="/ring?subscribe=CHANNEL,...">: the
 *     socket path. The socket is opened on the page's own host and port
 *     (wss: on an https: page, ws: otherwise) with the subprotocol "ring".
 *   - data-ring-channel="CHANNEL" on each region that a channel updates.
 *   - data-scope="SCOPE" on scope elements and data-prop="KEY" on the
 *     elements that show a value. A data-prop element belongs to its nearest
 *     enclosing scope; the region itself may be that scope.
 *
 * What it does:
 *   - applies each push {"channel","version","full","payload"} whose payload
 *     contains {"op":"text","scope","prop","value"} instructions by setting the
 *     textContent of the matching elements, so values are never parsed as
 *     markup;
 *   - skips a partial push whose version is not newer than the one shown,
 *     and always applies a full snapshot;
 *   - reconnects with capped, jittered exponential backoff (the server sends
 *     a full snapshot on every new socket) and sends a ping every 25 s;
 *   - sets <html data-ring-state> to "connecting", "open" or "closed", and
 *     exposes window.ring (state, socket, versions(), ping()) for debugging.
 */
(function () {
    "use strict";

    const RETRY_BASE_MS = 500;
    const RETRY_MAX_MS = 10000;
    const HEARTBEAT_INTERVAL_MS = 25000;
    const SUBPROTOCOL = "ring";

    /* The one socket this page keeps, and the timers that serve it. */
    const connection = {
        url: null,
        socket: null,
        state: "closed",
        failedAttempts: 0,
        retryTimer: 0,
        heartbeatTimer: 0,
        nextPingNumber: 1,
        stopped: false,
    };

    /* channel -> version of the state the page shows */
    const versions = new Map();
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

    /* ---- applying pushes to the DOM ---- */

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

    /* Returns the scope element that a data-prop element belongs to. */
    function findOwnerScope(propElement) {
        const parent = propElement.parentElement;
        return parent ? parent.closest("[data-scope]") : null;
    }

    /* Sets the text of every element in `region` bound to scope/prop. */
    function setPropText(region, scope, prop, text) {
        for (const element of region.querySelectorAll("[data-prop]")) {
            if (element.getAttribute("data-prop") !== prop) {
                continue;
            }

            const owner = findOwnerScope(element);
            if (!owner || owner.getAttribute("data-scope") !== scope) {
                continue;
            }

            if (element.textContent !== text) {
                element.textContent = text;
            }
        }
    }

    function applyInstruction(regions, instruction) {
        if (!instruction || instruction.op !== "text") {
            const op = String(instruction ? instruction.op : instruction);
            if (!reportedOps.has(op)) {
                reportedOps.add(op);
                console.warn("ring: ignored instruction with unknown op", op);
            }
            return;
        }

        const text = instruction.value == null ? "" : String(instruction.value);
        for (const region of regions) {
            setPropText(region, String(instruction.scope),
                        String(instruction.prop), text);
        }
    }

    function applyPush(push) {
        if (typeof push.version !== "number" || !Array.isArray(push.payload)) {
            console.warn("ring: ignored malformed push on channel",
                         push.channel);
            return;
        }

        const shown = versions.get(push.channel);
        if (!push.full && shown !== undefined && push.version <= shown) {
            return;
        }

        const regions = findRegions(push.channel);
        for (const instruction of push.payload) {
            applyInstruction(regions, instruction);
        }
        versions.set(push.channel, push.version);

        if (push.full) {
            /* The server serves this page: start the next backoff afresh. */
            connection.failedAttempts = 0;
        }
    }

    /* ---- replies and pings ---- */

    function settlePing(reply) {
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
            settlePing(message);
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
        stopHeartbeat();
        rejectPendingPings();
        setState("closed");
        if (connection.stopped) {
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

    function connect() {
        connection.retryTimer = 0;
        setState("connecting");

        let socket;
        try {
            socket = new WebSocket(connection.url, SUBPROTOCOL);
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
