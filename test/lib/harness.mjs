// Test harness for ringserver: starts a private redis-server and the real
// binary on free ports of 127.0.0.1, and gives tests small HTTP, RESP and
// WebSocket clients. Every wait has a timeout and names what it awaited.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const DEFAULT_TIMEOUT_MS = 10000;
export const STATS_CHANNEL = 'stats:for_default_post:post';
export const SOURCE_ROOT = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const SANITIZER_MARKERS = ['AddressSanitizer', 'LeakSanitizer',
    'runtime error:'];

// Children still running and folders still present when the test process
// exits are killed and removed here, so a failed test leaves nothing behind.
// When the process exits with a failure, the tail of every server's output
// is written to stderr.
const liveChildren = new Set();
const tempDirs = new Set();
const servers = new Set();
const sockets = new Set();

process.on('exit', (code) => {
    for (const child of liveChildren) {
        try {
            child.kill('SIGKILL');
        } catch {
            // The child is already gone.
        }
    }
    if (code !== 0 || process.exitCode) {
        dumpServerLogs();
    }
    for (const dir of tempDirs) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

const LOG_TAIL_CHARS = 8000;

function dumpServerLogs() {
    for (const server of servers) {
        const output = server.stderr();
        const tail = output.length > LOG_TAIL_CHARS ?
            '...' + output.slice(-LOG_TAIL_CHARS) : output;
        process.stderr.write(
            `--- ringserver ${server.args.join(' ')}: stderr ---\n` +
            `${tail}\n--- end of stderr ---\n`);
    }
}

export function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

// Error that makes waitFor() stop at once instead of retrying.
export class WaitAborted extends Error {}

// Polls `check` (sync or async) until it returns a truthy value, which is
// returned. Errors thrown by `check` count as "not yet", except WaitAborted,
// which is rethrown. On timeout, throws an error naming `what` and the last
// value or error seen.
export async function waitFor(check, what,
    { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 50 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        try {
            const value = await check();
            if (value) {
                return value;
            }
            last = value;
        } catch (err) {
            if (err instanceof WaitAborted) {
                throw err;
            }
            last = err;
        }
        if (Date.now() >= deadline) {
            const detail = last instanceof Error ? last.message :
                JSON.stringify(last);
            throw new Error(`timed out after ${timeoutMs} ms waiting for ` +
                `${what} (last result: ${detail})`);
        }
        await sleep(intervalMs);
    }
}

// Rejects with a message naming `what` unless `promise` settles in time.
export function withTimeout(promise, what, timeoutMs = DEFAULT_TIMEOUT_MS) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}`)),
            timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Returns a TCP port on 127.0.0.1 that was free a moment ago.
export function freePort() {
    return new Promise((resolve, reject) => {
        const probe = net.createServer();
        probe.unref();
        probe.on('error', reject);
        probe.listen(0, '127.0.0.1', () => {
            const { port } = probe.address();
            probe.close(() => resolve(port));
        });
    });
}

function makeTempDir(prefix) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.add(dir);
    return dir;
}

// Spawns a child, records its output, and returns a handle whose `exited`
// promise resolves with {code, signal}.
function spawnTracked(command, args, options) {
    const child = spawn(command, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...options,
    });
    const handle = { child, output: '', exitInfo: null };
    const collect = (chunk) => {
        handle.output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    liveChildren.add(child);
    handle.exited = new Promise((resolve) => {
        child.on('error', (err) => {
            handle.output += `\nspawn ${command} failed: ${err.message}\n`;
            liveChildren.delete(child);
            handle.exitInfo = { code: null, signal: null, error: err };
            resolve(handle.exitInfo);
        });
        child.on('exit', (code, signal) => {
            liveChildren.delete(child);
            handle.exitInfo = { code, signal };
            resolve(handle.exitInfo);
        });
    });
    return handle;
}

async function signalAndWait(handle, signal, what) {
    if (handle.exitInfo) {
        return handle.exitInfo;
    }
    handle.child.kill(signal);
    return withTimeout(handle.exited, `${what} to exit after ${signal}`);
}

// ---------------------------------------------------------------- Redis

// Encodes an array of strings as a RESP array of bulk strings.
function encodeCommand(args) {
    let out = `*${args.length}\r\n`;
    for (const arg of args) {
        const text = String(arg);
        out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
    }
    return out;
}

// Parses one RESP reply from `buf` at `pos`. Returns {value, next}, or null
// when the buffer does not yet contain the whole reply. Error replies
// become Error objects in the value.
function parseReply(buf, pos) {
    const lineEnd = buf.indexOf('\r\n', pos);
    if (lineEnd < 0) {
        return null;
    }
    const type = String.fromCharCode(buf[pos]);
    const line = buf.toString('utf8', pos + 1, lineEnd);
    const next = lineEnd + 2;
    switch (type) {
    case '+':
        return { value: line, next };
    case '-':
        return { value: new Error(`redis: ${line}`), next };
    case ':':
        return { value: Number(line), next };
    case '$': {
        const length = Number(line);
        if (length < 0) {
            return { value: null, next };
        }
        if (buf.length < next + length + 2) {
            return null;
        }
        return {
            value: buf.toString('utf8', next, next + length),
            next: next + length + 2,
        };
    }
    case '*': {
        const count = Number(line);
        if (count < 0) {
            return { value: null, next };
        }
        const items = [];
        let at = next;
        for (let i = 0; i < count; i++) {
            const item = parseReply(buf, at);
            if (!item) {
                return null;
            }
            items.push(item.value);
            at = item.next;
        }
        return { value: items, next: at };
    }
    default:
        throw new Error(`redis: unexpected reply type ${JSON.stringify(type)}`);
    }
}

// Sends one command over a fresh connection and resolves with the reply.
// Rejects on an error reply, a refused connection or a timeout.
export function redisCommand(port, args, timeoutMs = DEFAULT_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        let received = Buffer.alloc(0);
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error(`redis ${args[0]} on port ${port} timed out ` +
                `after ${timeoutMs} ms`));
        }, timeoutMs);
        const finish = (err, value) => {
            clearTimeout(timer);
            socket.destroy();
            if (err) {
                reject(err);
            } else {
                resolve(value);
            }
        };
        socket.on('connect', () => socket.write(encodeCommand(args)));
        socket.on('data', (chunk) => {
            received = Buffer.concat([received, chunk]);
            let reply;
            try {
                reply = parseReply(received, 0);
            } catch (err) {
                finish(err);
                return;
            }
            if (!reply) {
                return;
            }
            if (reply.value instanceof Error) {
                finish(reply.value);
            } else {
                finish(null, reply.value);
            }
        });
        socket.on('error', (err) => finish(err));
        socket.on('close', () => finish(new Error(
            `redis ${args[0]} on port ${port}: connection closed`)));
    });
}

// Starts a private redis-server on a free port of 127.0.0.1, with its data
// in a fresh folder under os.tmpdir(). With `appendonly`, writes survive a
// kill and restart. Resolves once the server replies to PING.
// `port` picks the port, `extraArgs` are appended to the command line and
// `start: false` returns the handle without starting the process.
export async function startRedis({ appendonly = false, port = null,
    extraArgs = [], start = true } = {}) {
    port = port ?? await freePort();
    const dir = makeTempDir('ring-redis-');
    const args = ['--port', String(port), '--bind', '127.0.0.1',
        '--dir', dir, '--save', '', '--appendonly',
        appendonly ? 'yes' : 'no', '--daemonize', 'no', ...extraArgs];
    let handle = null;

    const redis = {
        port,
        dir,
        url: `redis://127.0.0.1:${port}`,
        command: (commandArgs) => redisCommand(port, commandArgs),
        output: () => (handle ? handle.output : ''),
        running: () => Boolean(handle && !handle.exitInfo),

        async start() {
            handle = spawnTracked('redis-server', args, { cwd: dir });
            await waitFor(async () => {
                if (handle.exitInfo) {
                    throw new WaitAborted('redis-server exited: ' +
                        handle.output);
                }
                return (await redisCommand(port, ['PING'], 1000)) === 'PONG';
            }, `redis-server on port ${port} to reply to PING`);
        },
        async stop() {
            if (handle) {
                await signalAndWait(handle, 'SIGTERM', 'redis-server');
            }
        },
        async kill() {
            if (handle) {
                await signalAndWait(handle, 'SIGKILL', 'redis-server');
            }
        },
        async restart() {
            await redis.stop();
            await redis.start();
        },
    };
    if (start) {
        await redis.start();
    }
    return redis;
}

// Returns {ring}:total as a number (0 when the key is missing).
export async function redisTotal(redis) {
    const value = await redis.command(['GET', '{ring}:total']);
    return value === null ? 0 : Number(value);
}

// Returns the sum of all fields of the {ring}:active hash, whether or not
// their process is still alive.
export async function redisActive(redis) {
    const values = await redis.command(['HVALS', '{ring}:active']);
    return values.reduce((sum, value) => sum + Number(value), 0);
}

// Returns the sum of the {ring}:active fields whose process id has an
// unexpired score in {ring}:procs: the "viewers now" count.
export async function redisLiveActive(redis) {
    const now = Date.now();
    const fields = await redis.command(['HGETALL', '{ring}:active']);
    let sum = 0;
    for (let i = 0; i < fields.length; i += 2) {
        const expiry = await redis.command(['ZSCORE', '{ring}:procs',
            fields[i]]);
        if (expiry !== null && Number(expiry) > now) {
            sum += Number(fields[i + 1]);
        }
    }
    return sum;
}

// ---------------------------------------------------------------- server

function sanitizerReport(text) {
    return SANITIZER_MARKERS.find((marker) => text.includes(marker));
}

// Starts the ringserver binary named by RINGSERVER_BIN, on `port` or a free
// port, and resolves once /healthz or /static/ring.js responds with any
// status. `waitReady: false` returns right after the spawn.
export async function startServer({ redisUrl, port, extraArgs = [],
    env = {}, waitReady = true } = {}) {
    const binary = process.env.RINGSERVER_BIN;
    if (!binary) {
        throw new Error('RINGSERVER_BIN is not set: point it at the built ' +
            'ringserver binary (meson test sets it)');
    }
    if (!fs.existsSync(binary)) {
        throw new Error(`RINGSERVER_BIN=${binary} does not exist: build ` +
            'it first (meson compile -C build)');
    }
    const serverPort = port ?? await freePort();
    const args = ['--port', String(serverPort), '--host', '127.0.0.1'];
    if (redisUrl) {
        args.push('--redis', redisUrl);
    }
    args.push(...extraArgs);

    const handle = spawnTracked(binary, args, {
        cwd: SOURCE_ROOT,
        env: { ...process.env, ...env },
    });
    const base = `http://127.0.0.1:${serverPort}`;
    const server = {
        port: serverPort,
        pid: handle.child.pid,
        url: base,
        wsUrl: `ws://127.0.0.1:${serverPort}`,
        args,
        stderr: () => handle.output,
        exitInfo: () => handle.exitInfo,
        exited: handle.exited,

        // Sends `signal`, waits for the exit, and resolves with
        // {code, signal}. Throws when the output has a sanitizer report.
        async stop(signal = 'SIGTERM') {
            const info = await signalAndWait(handle, signal, 'ringserver')
                .catch(async (err) => {
                    await signalAndWait(handle, 'SIGKILL', 'ringserver');
                    throw err;
                });
            server.checkSanitizers();
            return info;
        },
        async kill() {
            return signalAndWait(handle, 'SIGKILL', 'ringserver');
        },
        checkSanitizers() {
            const marker = sanitizerReport(handle.output);
            if (marker) {
                throw new Error(`ringserver output contains "${marker}":\n` +
                    handle.output);
            }
        },
    };
    servers.add(server);
    if (waitReady) {
        await waitServerReady(server);
    }
    return server;
}

export async function waitServerReady(server) {
    await waitFor(async () => {
        const info = server.exitInfo();
        if (info) {
            throw new WaitAborted('ringserver exited early ' +
                `(${JSON.stringify(info)}):\n${server.stderr()}`);
        }
        try {
            await httpGet(`${server.url}/healthz`, { timeoutMs: 1000 });
        } catch {
            await httpGet(`${server.url}/static/ring.js`, { timeoutMs: 1000 });
        }
        return true;
    }, `ringserver on port ${server.port} to respond on /healthz`);
}

// Runs the binary to completion with `args` (no server expected) and
// resolves with {code, signal, stdout, stderr}.
export async function runBinary(args, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const binary = process.env.RINGSERVER_BIN;
    if (!binary) {
        throw new Error('RINGSERVER_BIN is not set');
    }
    const child = spawn(binary, args, {
        cwd: SOURCE_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
        stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
        stderr += chunk;
    });
    const exited = new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => {
            liveChildren.delete(child);
            resolve({ code, signal, stdout, stderr });
        });
    });
    try {
        return await withTimeout(exited,
            `ringserver ${args.join(' ')} to exit`, timeoutMs);
    } finally {
        child.kill('SIGKILL');
    }
}

// ---------------------------------------------------------------- HTTP

// Sends one request with the path exactly as given (no normalisation), and
// resolves with {status, headers, body}.
export function httpRequest(url, { method = 'GET', headers = {},
    body = null, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
    const target = new URL(url);
    // Keep the path as written: URL() would resolve "..".
    const pathStart = url.indexOf('/', 'http://'.length);
    const rawPath = pathStart < 0 ? '/' : url.slice(pathStart);
    return new Promise((resolve, reject) => {
        const request = http.request({
            host: target.hostname,
            port: target.port,
            method,
            path: rawPath,
            headers: { connection: 'close', ...headers },
            agent: false,
        }, (response) => {
            const chunks = [];
            response.on('data', (chunk) => chunks.push(chunk));
            response.on('end', () => resolve({
                status: response.statusCode,
                headers: response.headers,
                body: Buffer.concat(chunks).toString('utf8'),
            }));
            response.on('error', reject);
        });
        request.setTimeout(timeoutMs, () => request.destroy(new Error(
            `${method} ${url} timed out after ${timeoutMs} ms`)));
        request.on('error', reject);
        if (body !== null) {
            request.write(body);
        }
        request.end();
    });
}

export function httpGet(url, options = {}) {
    return httpRequest(url, { ...options, method: 'GET' });
}

// Sends a WebSocket upgrade request with `headers` added and resolves with
// {status, headers} of the response (101 when the server switched
// protocols), or {error} when the connection failed or was closed.
export function upgradeRequest(url, headers = {},
    timeoutMs = DEFAULT_TIMEOUT_MS) {
    const target = new URL(url);
    return new Promise((resolve) => {
        const request = http.request({
            host: target.hostname,
            port: target.port,
            path: target.pathname + target.search,
            agent: false,
            headers: {
                connection: 'Upgrade',
                upgrade: 'websocket',
                'sec-websocket-version': '13',
                'sec-websocket-key': Buffer.from(String(Math.random()))
                    .toString('base64').slice(0, 22) + '==',
                ...headers,
            },
        });
        request.setTimeout(timeoutMs, () => request.destroy(new Error(
            `upgrade request to ${url} timed out after ${timeoutMs} ms`)));
        request.on('upgrade', (response, socket) => {
            socket.destroy();
            resolve({ status: response.statusCode, headers: response.headers });
        });
        request.on('response', (response) => {
            response.resume();
            resolve({ status: response.statusCode, headers: response.headers });
        });
        request.on('error', (err) => resolve({ error: err.message }));
        request.end();
    });
}

// Returns the text of <span data-prop="NAME">…</span> in `html`, or null.
export function pageProp(html, name) {
    const pattern = new RegExp(
        `<[a-z]+[^>]*\\bdata-prop="${name}"[^>]*>([^<]*)<`, 'i');
    const match = html.match(pattern);
    return match ? match[1].trim() : null;
}

// ---------------------------------------------------------------- sockets

// Returns the /ring URL of `server`, with `query` (for example a page's
// token) when given.
export function ringUrl(server, query = '') {
    return `${server.wsUrl}/ring${query ? `?${query}` : ''}`;
}

// Returns the version of the state a rendered page shows (the
// data-ring-version attribute of its subscribed region), or 0.
export function pageVersion(html) {
    const match = html.match(/data-ring-version="(\d+)"/);
    return match ? Number(match[1]) : 0;
}

// Returns the socket address a rendered page carries in its ring-socket
// meta tag, decoded ("/ring?token=...").
export function pageSocketPath(html) {
    const match = html.match(/<meta name="ring-socket" content="([^"]*)">/);
    return match ? match[1].replace(/&amp;/g, '&') : null;
}

// A WebSocket client that records every message, keeps per-channel state
// built from pushes, and lets tests wait for messages, state and close.
let routeNumber = 0;

export class RingSocket {
    constructor(url, protocols, origin = null) {
        this.url = url;
        this.ws = new WebSocket(url, protocols, origin ? { origin } : {});
        sockets.add(this);
        this.queue = [];
        this.messages = [];
        this.pushes = [];
        this.channels = new Map();
        this.closeInfo = null;
        this.waiters = new Set();
        this.opened = new Promise((resolve, reject) => {
            this.ws.once('open', () => resolve(this));
            this.ws.once('unexpected-response', (request, response) => {
                reject(new Error(`handshake rejected with HTTP ` +
                    `${response.statusCode}`));
                request.destroy();
            });
            this.ws.once('error', reject);
        });
        this.opened.catch(() => {});
        this.ws.on('error', () => {});
        this.ws.on('message', (data, isBinary) => this.receive(data, isBinary));
        this.closed = new Promise((resolve) => {
            this.ws.once('close', (code, reason) => {
                sockets.delete(this);
                this.closeInfo = { code, reason: reason.toString() };
                this.notify();
                resolve(this.closeInfo);
            });
        });
    }

    receive(data, isBinary) {
        let message;
        if (isBinary) {
            message = { binary: true, data };
        } else {
            try {
                message = JSON.parse(data.toString());
            } catch {
                message = { invalidJson: data.toString() };
            }
        }
        this.messages.push(message);
        this.queue.push(message);
        if (message && typeof message.channel === 'string' &&
            Array.isArray(message.payload)) {
            this.applyPush(message);
        }
        this.notify();
    }

    // Applies a push the way ring.js does: a full state replaces what the
    // socket shows, a diff applies only on top of the version it starts
    // from. A diff that does not fit is kept in `gaps`.
    applyPush(push) {
        this.pushes.push(push);
        let state = this.channels.get(push.channel);
        if (!push.full && (!state || state.version !== push.from)) {
            this.gaps = (this.gaps || []).concat([push]);
            return;
        }
        if (!state || push.full) {
            state = { version: push.version, values: {} };
            this.channels.set(push.channel, state);
        }
        state.version = push.version;
        for (const op of push.payload) {
            state.values[op.prop] = op.value;
        }
    }

    notify() {
        for (const waiter of this.waiters) {
            waiter();
        }
    }

    // Resolves once `check()` returns a truthy value, re-checking after each
    // message and on close. Rejects after `timeoutMs`, naming `what`.
    waitUntil(check, what, timeoutMs = DEFAULT_TIMEOUT_MS) {
        return new Promise((resolve, reject) => {
            let timer = null;
            const attempt = () => {
                const value = check();
                if (value) {
                    this.waiters.delete(attempt);
                    clearTimeout(timer);
                    resolve(value);
                }
            };
            timer = setTimeout(() => {
                this.waiters.delete(attempt);
                reject(new Error(`timed out after ${timeoutMs} ms waiting ` +
                    `for ${what} on ${this.url} (state: ` +
                    `${JSON.stringify(this.valuesOf())}, close: ` +
                    `${JSON.stringify(this.closeInfo)})`));
            }, timeoutMs);
            this.waiters.add(attempt);
            attempt();
        });
    }

    // Removes and returns the first unread message matching `predicate`.
    // Messages that do not match stay queued for later calls.
    async nextMessage(predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS,
        what = 'a matching message') {
        let found;
        await this.waitUntil(() => {
            const index = this.queue.findIndex((message) =>
                predicate(message));
            if (index < 0) {
                return false;
            }
            found = this.queue.splice(index, 1)[0];
            return true;
        }, what, timeoutMs);
        return found;
    }

    nextPush(channel = STATS_CHANNEL, timeoutMs = DEFAULT_TIMEOUT_MS) {
        return this.nextMessage((m) => m && m.channel === channel &&
            Array.isArray(m.payload), timeoutMs, `a push on ${channel}`);
    }

    // Returns the current {prop: value} state of `channel`.
    valuesOf(channel = STATS_CHANNEL) {
        const state = this.channels.get(channel);
        return state ? { ...state.values } : {};
    }

    // Resolves once every prop in `expected` has that value (compared as
    // strings) in the socket's state of `channel`.
    waitValues(expected, channel = STATS_CHANNEL,
        timeoutMs = DEFAULT_TIMEOUT_MS) {
        const expectedValues = Object.fromEntries(Object.entries(expected)
            .map(([prop, value]) => [prop, String(value)]));
        return this.waitUntil(() => {
            const values = this.valuesOf(channel);
            return Object.entries(expectedValues)
                .every(([prop, value]) => values[prop] === value);
        }, `${channel} to show ${JSON.stringify(expectedValues)}`, timeoutMs);
    }

    send(value) {
        this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
    }

    // Sends {action, id, ...fields} and resolves with the reply carrying
    // that id.
    request(action, id, fields = {}, timeoutMs = DEFAULT_TIMEOUT_MS) {
        this.send({ action, id, ...fields });
        return this.nextMessage((m) => m && m.id === id && 'status' in m,
            timeoutMs, `the reply to ${action} id ${id}`);
    }

    // Runs a route over the socket and resolves with the reply.
    callRoute(method, uri, input = {}, id = `route-${++routeNumber}`) {
        return this.request('call-route', id, { method, uri, input });
    }

    waitClose(timeoutMs = DEFAULT_TIMEOUT_MS) {
        return withTimeout(this.closed, `close of ${this.url}`, timeoutMs);
    }

    isOpen() {
        return this.ws.readyState === WebSocket.OPEN;
    }

    // Closes with code 1000 and waits for the close handshake to finish.
    async close() {
        if (this.ws.readyState === WebSocket.CLOSED) {
            return this.closeInfo;
        }
        this.ws.close(1000);
        return this.waitClose();
    }

    terminate() {
        this.ws.terminate();
    }
}

// Drops the connection of every socket still open except those in `keep`,
// so a failed test does not leave viewers behind for the next one.
export function terminateSockets(keep = []) {
    for (const socket of sockets) {
        if (!keep.includes(socket)) {
            socket.terminate();
        }
    }
}

// Opens a WebSocket to `url` and resolves once it is open. Pass
// `protocol: null` to name no subprotocol, or an array to name several.
export async function openSocket(url, { protocol = 'ring', origin = null,
    timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
    const protocols = protocol === null ? undefined : protocol;
    const socket = new RingSocket(url, protocols, origin);
    try {
        await withTimeout(socket.opened, `WebSocket ${url} to open`,
            timeoutMs);
    } catch (err) {
        socket.terminate();
        throw err;
    }
    return socket;
}

// Opens an anonymous socket, subscribes it to the stats channel with a
// call-route HEAD / (which counts no page view) and waits for its first
// full state.
export async function openStatsSocket(server, options = {}) {
    const socket = await openSocket(ringUrl(server), options);
    const reply = await socket.callRoute('HEAD', '/');
    if (reply.status !== 200) {
        throw new Error(`call-route HEAD / answered ${reply.status}`);
    }
    await socket.waitUntil(() => socket.channels.has(STATS_CHANNEL),
        `the first push on ${STATS_CHANNEL}`);
    return socket;
}

// Renders / with GET (counting one page view) and opens the socket the
// page carries, as a browser would, with the page's Origin. Resolves with
// {socket, html}.
export async function openPageSocket(server, options = {}) {
    const page = await httpGet(`${server.url}/`);
    const socketPath = pageSocketPath(page.body);
    if (page.status !== 200 || !socketPath) {
        throw new Error(`GET / answered ${page.status} without a socket`);
    }
    const socket = await openSocket(`${server.wsUrl}${socketPath}`,
        { origin: server.url, ...options });
    return { socket, html: page.body };
}
