// Realtime protocol errors: each bad client is closed or gets an error
// reply, while a watcher socket on the same server keeps working and the
// counts stay right.

import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
    RingSocket, startRedis, startServer, httpGet, openSocket,
    openStatsSocket, ringUrl, redisActive, redisTotal, terminateSockets,
    upgradeRequest, waitFor,
} from '../lib/harness.mjs';

let redis;
let server;
let watcher;
let pingId = 0;

before(async () => {
    redis = await startRedis();
    server = await startServer({ redisUrl: redis.url });
});

after(async () => {
    if (server) {
        const exit = await server.stop();
        assert.equal(exit.code, 0, `ringserver exit: ${JSON.stringify(exit)}`);
    }
    await redis?.stop();
});

function waitRedisActive(expected) {
    return waitFor(async () => (await redisActive(redis)) === expected,
        `Redis {ring}:active to sum to ${expected}`);
}

async function assertPingWorks(socket) {
    pingId += 1;
    const id = `p${pingId}`;
    const reply = await socket.request('ping', id);

    assert.deepEqual(reply, { id, status: 200, body: 'pong' });
}

// Every test starts with one watcher socket, and afterwards checks that the
// watcher still works and shows the true counts.
beforeEach(async () => {
    watcher = await openStatsSocket(server);
    await waitRedisActive(1);
    await watcher.waitValues({ active: 1 });
});

afterEach(async () => {
    terminateSockets([watcher]);
    await waitRedisActive(1);
    await watcher.waitValues({ active: 1 });
    assert.ok(watcher.isOpen(), 'watcher socket was closed');
    await assertPingWorks(watcher);

    const response = await httpGet(`${server.url}/`);
    assert.equal(response.status, 200);
    await watcher.waitValues({ total: await redisTotal(redis) });

    await watcher.close();
    await waitRedisActive(0);
});

test('ping gets pong', async () => {
    const socket = await openSocket(ringUrl(server));
    await assertPingWorks(socket);
    await assertPingWorks(socket);
    await socket.close();
});

test('invalid JSON closes with 1007', async () => {
    for (const text of ['{not json', '', '{"action":"ping",', 'null x']) {
        const socket = await openSocket(ringUrl(server));
        await waitRedisActive(2);
        socket.send(text);
        const closed = await socket.waitClose();

        assert.equal(closed.code, 1007, `after sending ${JSON.stringify(text)}`);
        await waitRedisActive(1);
    }
});

test('binary frame closes with 1003', async () => {
    const socket = await openSocket(ringUrl(server));
    await waitRedisActive(2);
    socket.ws.send(Buffer.from('{"action":"ping","id":"1"}'),
        { binary: true });
    const closed = await socket.waitClose();

    assert.equal(closed.code, 1003);
});

test('message over 64 KiB closes with 1009', async () => {
    const socket = await openSocket(ringUrl(server));
    await waitRedisActive(2);
    const padding = 'x'.repeat(70 * 1024);
    socket.send({ action: 'ping', id: 'big', padding });
    const closed = await socket.waitClose();

    assert.equal(closed.code, 1009);
});

test('message under 64 KiB is served', async () => {
    const socket = await openSocket(ringUrl(server));
    const padding = 'x'.repeat(60 * 1024);
    socket.send({ action: 'ping', id: 'large', padding });
    const reply = await socket.nextMessage((m) => m.id === 'large');

    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'pong');
    await socket.close();
});

test('fragmented message is reassembled', async () => {
    const socket = await openSocket(ringUrl(server));
    const text = JSON.stringify({ action: 'ping', id: 'frag' });
    const half = Math.floor(text.length / 2);
    socket.ws.send(text.slice(0, half), { fin: false });
    socket.ws.send(text.slice(half), { fin: true });
    const reply = await socket.nextMessage((m) => m.id === 'frag');

    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'pong');
    await socket.close();
});

test('unknown action gets 400', async () => {
    const socket = await openSocket(ringUrl(server));
    const reply = await socket.request('x', '8');

    assert.equal(reply.id, '8');
    assert.equal(reply.status, 400);
    assert.equal(reply.error, 'unknown action "x"');
    assert.ok(socket.isOpen(), 'socket closed after unknown action');
    await assertPingWorks(socket);
    await socket.close();
});

test('missing id gets 400 with null id', async () => {
    const socket = await openSocket(ringUrl(server));
    socket.send({ action: 'ping' });
    const reply = await socket.nextMessage((m) => 'status' in m);

    assert.equal(reply.id, null);
    assert.equal(reply.status, 400);
    assert.equal(typeof reply.error, 'string');
    assert.ok(socket.isOpen(), 'socket closed after missing id');
    await assertPingWorks(socket);
    await socket.close();
});

test('non-object JSON closes with 1007', async () => {
    for (const text of ['[]', '42', '"ping"', 'null']) {
        const socket = await openSocket(ringUrl(server));
        socket.send(text);
        const closed = await socket.waitClose();

        assert.equal(closed.code, 1007, `after sending ${text}`);
    }
});

test('non-string action gets 400', async () => {
    const socket = await openSocket(ringUrl(server));
    for (const text of ['{"action":7,"id":"n1"}', '{"id":"n2"}',
        '{"action":null,"id":"n3"}']) {
        socket.send(text);
        const reply = await socket.nextMessage((m) => 'status' in m, 10000,
            `the reply to ${text}`);

        assert.equal(reply.status, 400, `reply to ${text}`);
        assert.equal(typeof reply.error, 'string', `reply to ${text}`);
    }
    assert.ok(socket.isOpen(), 'socket closed after bad messages');
    await assertPingWorks(socket);
    await socket.close();
});

test('no subprotocol is served', async () => {
    const socket = await openStatsSocket(server, { protocol: null });
    const first = socket.pushes[0];

    assert.equal(first.full, true);
    await assertPingWorks(socket);
    await socket.close();
});

test('ring chosen among several', async () => {
    const socket = await openSocket(ringUrl(server),
        { protocol: ['chat', 'ring'] });

    assert.equal(socket.ws.protocol, 'ring');
    await assertPingWorks(socket);
    await socket.close();
});

test('unknown subprotocol rejected', async () => {
    await assert.rejects(openSocket(ringUrl(server), { protocol: 'chat' }));
    await assert.rejects(openSocket(ringUrl(server),
        { protocol: ['chat', 'mqtt'] }));

    const upgrade = await upgradeRequest(ringUrl(server),
        { 'sec-websocket-protocol': 'chat' });
    assert.notEqual(upgrade.status, 101,
        `server switched protocols for "chat": ${JSON.stringify(upgrade)}`);
});

test('malformed token closes with 1008', async () => {
    for (const token of ['x', '1.abc', '1.00000000.1.a@1.' + '0'.repeat(64)]) {
        const socket = new RingSocket(ringUrl(server,
            `token=${encodeURIComponent(token)}`), 'ring', server.url);
        const closed = await socket.waitClose();

        assert.equal(closed.code, 1008, `token ${token}`);
        assert.match(closed.reason, /invalid token/);
    }
});

test('abrupt disconnects are counted', async () => {
    const sockets = [];
    for (let i = 0; i < 5; i++) {
        sockets.push(await openSocket(ringUrl(server)));
    }
    await waitRedisActive(6);
    await watcher.waitValues({ active: 6 });

    for (const socket of sockets) {
        socket.terminate();
    }
});
