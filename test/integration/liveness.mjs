// Liveness: with --idle-timeout, the server pings idle sockets, drops a
// peer that never sends a pong and counts the drop as a leave, and keeps a
// client that sends pongs.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import {
    startRedis, startServer, httpGet, openSocket, openStatsSocket, ringUrl,
    redisActive, sleep, terminateSockets, waitFor, withTimeout,
} from '../lib/harness.mjs';

const IDLE_TIMEOUT_S = 2;
// lws checks its idle timers about once a second, so a drop may come a
// little after the timeout. This bound only catches a peer never dropped.
const DROP_BOUND_MS = 15000;
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;

let redis;
let server;

before(async () => {
    redis = await startRedis();
    server = await startServer({ redisUrl: redis.url,
        extraArgs: ['--idle-timeout', String(IDLE_TIMEOUT_S)] });
});

after(async () => {
    if (server) {
        const exit = await server.stop();
        assert.equal(exit.code, 0, `ringserver exit: ${JSON.stringify(exit)}`);
    }
    await redis?.stop();
});

afterEach(async () => {
    terminateSockets();
    await waitRedisActive(0);
});

function waitRedisActive(expected) {
    return waitFor(async () => (await redisActive(redis)) === expected,
        `Redis {ring}:active to sum to ${expected}`);
}

// Returns a client-to-server text frame: masked, as RFC 6455 requires.
function maskedTextFrame(text) {
    const payload = Buffer.from(text);
    assert.ok(payload.length < 126, 'only short frames are supported');
    const mask = crypto.randomBytes(4);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
    return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask,
        masked]);
}

// Parses the server's unmasked frames at the start of `buffer` into
// `opcodes` and returns the bytes not yet parsed.
function readFrames(buffer, opcodes) {
    for (;;) {
        if (buffer.length < 2) {
            return buffer;
        }
        let length = buffer[1] & 0x7f;
        let header = 2;
        if (length === 126) {
            if (buffer.length < 4) {
                return buffer;
            }
            length = buffer.readUInt16BE(2);
            header = 4;
        } else if (length === 127) {
            if (buffer.length < 10) {
                return buffer;
            }
            length = Number(buffer.readBigUInt64BE(2));
            header = 10;
        }
        if (buffer.length < header + length) {
            return buffer;
        }
        opcodes.push(buffer[0] & 0x0f);
        buffer = buffer.subarray(header + length);
    }
}

// Opens a TCP connection, completes the WebSocket handshake by hand and
// then never sends a pong. Sends the `messages` given, if any, right
// after the handshake. Resolves with {opcodes, closed, socket} once the
// server switched protocols, where `closed` resolves with the time of the
// connection's close.
function openSilentPeer(target, messages = []) {
    const key = crypto.randomBytes(16).toString('base64');
    const accept = crypto.createHash('sha1').update(key + WEBSOCKET_GUID)
        .digest('base64');
    const socket = net.connect({ host: '127.0.0.1', port: target.port });
    const peer = { socket, opcodes: [] };
    peer.closed = new Promise((resolve) => {
        socket.on('close', () => resolve(Date.now()));
    });
    socket.on('error', () => {});

    return withTimeout(new Promise((resolve, reject) => {
        let received = Buffer.alloc(0);
        let upgraded = false;
        socket.on('connect', () => socket.write(
            'GET /ring HTTP/1.1\r\n' +
            `Host: 127.0.0.1:${target.port}\r\n` +
            'Upgrade: websocket\r\n' +
            'Connection: Upgrade\r\n' +
            `Sec-WebSocket-Key: ${key}\r\n` +
            'Sec-WebSocket-Version: 13\r\n' +
            'Sec-WebSocket-Protocol: ring\r\n\r\n'));
        socket.on('data', (chunk) => {
            received = Buffer.concat([received, chunk]);
            if (!upgraded) {
                const end = received.indexOf('\r\n\r\n');
                if (end < 0) {
                    return;
                }
                const head = received.subarray(0, end).toString();
                const accepted = head.match(
                    /^sec-websocket-accept:\s*(\S+)/im);
                if (!head.startsWith('HTTP/1.1 101') ||
                    !accepted || accepted[1] !== accept) {
                    reject(new Error(`handshake failed: ${head}`));
                    return;
                }
                upgraded = true;
                received = received.subarray(end + 4);
                for (const message of messages) {
                    socket.write(maskedTextFrame(message));
                }
                resolve(peer);
            }
            received = readFrames(received, peer.opcodes);
        });
        socket.on('close', () => reject(new Error(
            'connection closed during the handshake')));
    }), 'the silent peer\'s handshake');
}

test('silent peer dropped and counted left', async () => {
    const watcher = await openStatsSocket(server);
    await watcher.waitValues({ active: 1 });

    const peer = await openSilentPeer(server);
    const opened = Date.now();
    await waitRedisActive(2);
    await watcher.waitValues({ active: 2 });

    const closedAt = await withTimeout(peer.closed,
        'the server to drop the silent peer', DROP_BOUND_MS);
    const elapsed = closedAt - opened;
    assert.ok(elapsed >= IDLE_TIMEOUT_S * 1000 - 500,
        `dropped after ${elapsed} ms, before the ${IDLE_TIMEOUT_S} s timeout`);
    assert.ok(peer.opcodes.includes(OPCODE_PING),
        `the server must ping before it drops (frames: ${peer.opcodes})`);

    await waitRedisActive(1);
    await watcher.waitValues({ active: 1 });
    assert.ok(watcher.isOpen(), 'the watcher answers pings and must stay');
});

test('subscribed silent peer is dropped', async () => {
    const watcher = await openStatsSocket(server);
    const peer = await openSilentPeer(server, [JSON.stringify(
        { action: 'call-route', id: '1', method: 'HEAD', uri: '/' })]);
    const opened = Date.now();
    await waitRedisActive(2);
    await watcher.waitValues({ active: 2 });

    // Pushes the server sends do not keep a peer without pongs alive.
    let closed = false;
    peer.closed.then(() => {
        closed = true;
    });
    while (!closed && Date.now() - opened < DROP_BOUND_MS) {
        await httpGet(`${server.url}/`);
        await sleep(200);
    }
    assert.ok(closed, `the subscribed silent peer was not dropped within ` +
        `${DROP_BOUND_MS} ms`);
    const textFrames = peer.opcodes.filter((opcode) => opcode === 0x1);
    assert.ok(textFrames.length >= 2,
        `the peer got ${textFrames.length} text frames before the drop`);

    await waitRedisActive(1);
    await watcher.waitValues({ active: 1 });
});

test('ws client answering pings stays', async () => {
    const idle = await openSocket(ringUrl(server));
    let pings = 0;
    idle.ws.on('ping', () => {
        pings += 1;
    });
    await waitRedisActive(1);

    await sleep(IDLE_TIMEOUT_S * 2500);
    assert.ok(idle.isOpen(), `closed: ${JSON.stringify(idle.closeInfo)}`);
    assert.ok(pings >= 1, 'the server must ping an idle socket');
    assert.equal(await redisActive(redis), 1);
    const reply = await idle.request('ping', 'alive');
    assert.equal(reply.status, 200);
});

test('close frame counts as leave', async () => {
    const peer = await openSilentPeer(server);
    await waitRedisActive(1);
    peer.socket.write(Buffer.from([0x88, 0x80, 1, 2, 3, 4]));
    await withTimeout(peer.closed, 'the server to close after a close frame');
    assert.ok(!peer.opcodes.includes(OPCODE_PING));
    assert.ok(peer.opcodes.includes(OPCODE_CLOSE),
        `the server must answer the close frame (frames: ${peer.opcodes})`);
    await waitRedisActive(0);
});
