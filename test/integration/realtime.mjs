// Realtime counters: sockets joining and leaving change "viewers now", page
// views change the total, and every subscribed socket gets the pushes.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
    STATS_CHANNEL, startRedis, startServer, httpGet, openSocket,
    openPageSocket, pageVersion, openStatsSocket, ringUrl, redisActive,
    redisTotal, terminateSockets, waitFor,
} from '../lib/harness.mjs';

let redis;
let server;

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

afterEach(async () => {
    terminateSockets();
    await waitRedisActive(0);
});

function waitRedisActive(expected) {
    return waitFor(async () => (await redisActive(redis)) === expected,
        `Redis {ring}:active to sum to ${expected}`);
}

test('first push after HEAD call-route is full', async () => {
    await httpGet(`${server.url}/`);
    const socket = await openSocket(ringUrl(server));
    const reply = await socket.callRoute('HEAD', '/');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, '', 'HEAD must not carry the page');
    const first = await socket.nextMessage();
    await waitRedisActive(1);

    assert.equal(first.channel, STATS_CHANNEL);
    assert.equal(first.full, true);
    assert.equal(typeof first.version, 'number');
    const props = first.payload.map((op) => op.prop).sort();
    assert.deepEqual(props, ['active', 'total']);
    for (const op of first.payload) {
        assert.equal(op.op, 'text');
        assert.equal(op.scope, 'stats');
        assert.equal(typeof op.value, 'string');
    }
    const values = socket.valuesOf();
    assert.equal(values.total, String(await redisTotal(redis)));

    await socket.close();
    await waitRedisActive(0);
});

test('join raises active for all', async () => {
    const first = await openStatsSocket(server);
    await waitRedisActive(1);
    await first.waitValues({ active: 1 });

    const second = await openStatsSocket(server);
    await waitRedisActive(2);
    await first.waitValues({ active: 2 });
    await second.waitValues({ active: 2 });

    const third = await openStatsSocket(server);
    await waitRedisActive(3);
    for (const socket of [first, second, third]) {
        await socket.waitValues({ active: 3 });
    }

    await third.close();
    await waitRedisActive(2);
    await first.waitValues({ active: 2 });
    await second.waitValues({ active: 2 });

    await second.close();
    await waitRedisActive(1);
    await first.waitValues({ active: 1 });

    await first.close();
    await waitRedisActive(0);
});

test('unsubscribed socket counts as viewer', async () => {
    const watcher = await openStatsSocket(server);
    await watcher.waitValues({ active: 1 });

    const plain = await openSocket(`${server.wsUrl}/ring`);
    await waitRedisActive(2);
    await watcher.waitValues({ active: 2 });

    plain.terminate();
    await waitRedisActive(1);
    await watcher.waitValues({ active: 1 });

    assert.equal(plain.pushes.length, 0, 'unsubscribed socket got pushes');
    await watcher.close();
    await waitRedisActive(0);
});

test('page view pushes total to all', async () => {
    const sockets = [];
    for (let i = 0; i < 3; i++) {
        sockets.push(await openStatsSocket(server));
    }

    for (let round = 0; round < 3; round++) {
        const response = await httpGet(`${server.url}/`);
        assert.equal(response.status, 200);
        const total = await redisTotal(redis);
        for (const socket of sockets) {
            await socket.waitValues({ total, active: 3 });
        }
    }

    await Promise.all(sockets.map((socket) => socket.close()));
    await waitRedisActive(0);
});

test('later pushes carry only changes', async () => {
    const socket = await openStatsSocket(server);
    const snapshot = await socket.nextPush();
    assert.equal(snapshot.full, true);
    await socket.waitValues({ active: 1 });
    // Drop pushes that arrived while this socket's own join settled.
    socket.queue.length = 0;
    let version = socket.channels.get(STATS_CHANNEL).version;

    await httpGet(`${server.url}/`);
    const total = await redisTotal(redis);
    const totalPush = await socket.nextPush();
    assert.notEqual(totalPush.full, true, 'page view sent a full snapshot');
    assert.deepEqual(totalPush.payload.map((op) => op.prop), ['total']);
    assert.equal(totalPush.payload[0].value, String(total));
    assert.equal(totalPush.from, version, 'diff must start from the shown version');
    assert.ok(totalPush.version > version, 'version must grow');
    version = totalPush.version;

    const other = await openSocket(`${server.wsUrl}/ring`);
    const activePush = await socket.nextPush();
    assert.notEqual(activePush.full, true, 'join sent a full snapshot');
    assert.deepEqual(activePush.payload.map((op) => op.prop), ['active']);
    assert.equal(activePush.payload[0].value, '2');
    assert.equal(activePush.from, version, 'diff must start from the shown version');
    assert.ok(activePush.version > version, 'version must grow');

    await other.close();
    await socket.waitValues({ active: 1 });
    await socket.close();
    await waitRedisActive(0);
});

test('diffs chain from version to version', async () => {
    const socket = await openStatsSocket(server);
    await socket.waitValues({ active: 1 });
    for (let i = 0; i < 5; i++) {
        await httpGet(`${server.url}/`);
    }
    const total = await redisTotal(redis);
    await socket.waitValues({ total });

    const versions = socket.pushes.map((push) => push.version);
    for (let i = 1; i < versions.length; i++) {
        const push = socket.pushes[i];
        assert.ok(versions[i] > versions[i - 1],
            `version went ${versions[i - 1]} -> ${versions[i]}`);
        assert.ok(push.full || push.from === versions[i - 1],
            `diff to ${versions[i]} starts from ${push.from}, ` +
            `not from the shown ${versions[i - 1]}`);
    }
    await socket.close();
    await waitRedisActive(0);
});

test('page token subscribes at render version', async () => {
    const { socket, html } = await openPageSocket(server);
    const rendered = pageVersion(html);
    assert.ok(rendered > 0, 'the page must carry its version');

    // The page showed the state before this socket joined, so the first
    // push is the join: a diff from exactly the rendered version.
    const join = await socket.nextPush();
    assert.notEqual(join.full, true, 'the page needs no full state');
    assert.equal(join.from, rendered);
    assert.deepEqual(join.payload.map((op) => op.prop), ['active']);
    assert.equal(join.payload[0].value, '1');

    await socket.close();
    await waitRedisActive(0);
});
