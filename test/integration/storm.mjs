// Many sockets joining and leaving at once: a watcher's final state and
// Redis must agree, and "viewers now" must return to where it started.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
    startRedis, startServer, httpGet, openSocket, openStatsSocket, ringUrl,
    redisActive, redisTotal, terminateSockets, waitFor,
} from '../lib/harness.mjs';

const STORM_SIZE = 200;
const STORM_TIMEOUT_MS = 60000;

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
        `Redis {ring}:active to sum to ${expected}`,
        { timeoutMs: STORM_TIMEOUT_MS });
}

async function openMany(count) {
    return Promise.all(Array.from({ length: count },
        () => openSocket(ringUrl(server), { timeoutMs: STORM_TIMEOUT_MS })));
}

async function assertWatcherAgrees(watcher, active) {
    await watcher.waitValues({ active }, undefined, STORM_TIMEOUT_MS);
    const total = await redisTotal(redis);
    await watcher.waitValues({ total }, undefined, STORM_TIMEOUT_MS);

    assert.equal(await redisActive(redis), active);
    assert.deepEqual(watcher.valuesOf(),
        { total: String(total), active: String(active) });
}

test('storm of joins and closes', async () => {
    const watcher = await openStatsSocket(server);
    await waitRedisActive(1);
    const start = await redisActive(redis);

    const sockets = await openMany(STORM_SIZE);
    await waitRedisActive(start + STORM_SIZE);
    await assertWatcherAgrees(watcher, start + STORM_SIZE);
    for (const socket of sockets) {
        assert.ok(socket.isOpen(), 'a storm socket was closed');
    }

    await Promise.all(sockets.map((socket) => socket.close()));
    await waitRedisActive(start);
    await assertWatcherAgrees(watcher, start);

    await watcher.close();
    await waitRedisActive(0);
});

test('storm of abrupt disconnects', async () => {
    const watcher = await openStatsSocket(server);
    await waitRedisActive(1);
    const start = await redisActive(redis);

    const sockets = await openMany(STORM_SIZE);
    await waitRedisActive(start + STORM_SIZE);
    for (const socket of sockets) {
        socket.terminate();
    }
    await waitRedisActive(start);
    await assertWatcherAgrees(watcher, start);

    await watcher.close();
    await waitRedisActive(0);
});

test('storm with page views', async () => {
    const watcher = await openStatsSocket(server);
    await waitRedisActive(1);
    const start = await redisActive(redis);
    const totalBefore = await redisTotal(redis);
    const views = 50;

    const [sockets, responses] = await Promise.all([
        openMany(STORM_SIZE / 2),
        Promise.all(Array.from({ length: views },
            () => httpGet(`${server.url}/`))),
    ]);
    for (const response of responses) {
        assert.equal(response.status, 200);
    }
    assert.equal(await redisTotal(redis), totalBefore + views);
    await waitRedisActive(start + STORM_SIZE / 2);
    await assertWatcherAgrees(watcher, start + STORM_SIZE / 2);

    await Promise.all(sockets.map((socket) => socket.close()));
    await waitRedisActive(start);
    await assertWatcherAgrees(watcher, start);

    await watcher.close();
    await waitRedisActive(0);
});
