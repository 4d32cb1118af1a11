// Redis outages: the server stays up, responds 503 while Redis is gone,
// recovers when it returns, and counts every 200 page exactly once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
    freePort, startRedis, startServer, httpGet, openSocket, openStatsSocket,
    ringUrl, redisActive, redisTotal, sleep, waitFor,
} from '../lib/harness.mjs';

const RECOVERY_TIMEOUT_MS = 30000;
const SOCKET_COUNT = 3;

// Requests GET / one after another until stopped, and counts the statuses.
function startTraffic(server) {
    const traffic = { ok: 0, unavailable: 0, other: [], errors: [],
        running: true };
    traffic.done = (async () => {
        while (traffic.running) {
            try {
                const response = await httpGet(`${server.url}/`);
                if (response.status === 200) {
                    traffic.ok += 1;
                } else if (response.status === 503) {
                    traffic.unavailable += 1;
                } else {
                    traffic.other.push(response.status);
                }
            } catch (err) {
                traffic.errors.push(err.message);
            }
            await sleep(10);
        }
    })();
    traffic.stop = async () => {
        traffic.running = false;
        await traffic.done;
        return traffic;
    };
    return traffic;
}

// Registers cleanup of the server (checking its exit) and Redis on `t`.
function cleanUpAfter(t, server, redis) {
    t.after(async () => {
        const exit = await server.stop();
        assert.equal(exit.code, 0, `ringserver exit: ${JSON.stringify(exit)}`);
        await redis.stop();
    });
}

async function assertUnavailable(server) {
    const page = await waitFor(async () => {
        const response = await httpGet(`${server.url}/`);
        return response.status === 503 ? response : null;
    }, 'GET / to answer 503 while Redis is down');
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.match(page.body, /unavailable/i);

    const health = await httpGet(`${server.url}/healthz`);
    assert.equal(health.status, 503);
    assert.equal(server.exitInfo(), null, 'ringserver exited');
}

async function waitRecovered(server) {
    await waitFor(async () => {
        const response = await httpGet(`${server.url}/`);
        return response.status === 200;
    }, 'GET / to answer 200 after Redis returned',
    { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 200 });
    const health = await httpGet(`${server.url}/healthz`);
    assert.equal(health.status, 200);
}

async function assertSocketsConverge(sockets, redis) {
    await waitFor(async () => (await redisActive(redis)) === sockets.length,
        `Redis {ring}:active to sum to ${sockets.length} after recovery`,
        { timeoutMs: RECOVERY_TIMEOUT_MS });
    const total = await redisTotal(redis);
    for (const socket of sockets) {
        assert.ok(socket.isOpen(), 'socket was closed during the outage');
        await socket.waitValues({ total, active: sockets.length }, undefined,
            RECOVERY_TIMEOUT_MS);
    }
}

async function openStatsSockets(server) {
    const sockets = [];
    for (let i = 0; i < SOCKET_COUNT; i++) {
        sockets.push(await openStatsSocket(server));
    }
    return sockets;
}

test('redis killed and restarted empty', async (t) => {
    const redis = await startRedis();
    const server = await startServer({ redisUrl: redis.url });
    cleanUpAfter(t, server, redis);
    const sockets = await openStatsSockets(server);
    await assertSocketsConverge(sockets, redis);

    const traffic = startTraffic(server);
    await waitFor(() => traffic.ok >= 5, 'five pages served before the kill');
    await redis.kill();
    await assertUnavailable(server);
    await waitFor(() => traffic.unavailable >= 3,
        'three 503 pages during the outage');

    await redis.start();
    await waitRecovered(server);
    await traffic.stop();
    assert.deepEqual(traffic.errors, []);
    assert.deepEqual(traffic.other, []);

    await assertSocketsConverge(sockets, redis);
    const total = await redisTotal(redis);
    t.diagnostic(`200 pages: ${traffic.ok}, 503 pages: ` +
        `${traffic.unavailable}, Redis total after restart: ${total}`);
    assert.ok(total < traffic.ok, `Redis restarted empty, yet the total ` +
        `${total} is not below the ${traffic.ok} pages served`);
    for (const socket of sockets) {
        await socket.close();
    }
});

test('every 200 counted once across outage', async (t) => {
    const redis = await startRedis({ appendonly: true,
        extraArgs: ['--appendfsync', 'always'] });
    const server = await startServer({ redisUrl: redis.url });
    cleanUpAfter(t, server, redis);
    const sockets = await openStatsSockets(server);

    const traffic = startTraffic(server);
    await waitFor(() => traffic.ok >= 10, 'ten pages served before the kill');
    await redis.kill();
    await assertUnavailable(server);
    await waitFor(() => traffic.unavailable >= 3,
        'three 503 pages during the outage');

    await redis.start();
    await waitRecovered(server);
    await waitFor(() => traffic.ok >= 20, 'more pages after recovery',
        { timeoutMs: RECOVERY_TIMEOUT_MS });
    await traffic.stop();
    assert.deepEqual(traffic.errors, []);
    assert.deepEqual(traffic.other, []);

    // waitRecovered's own successful GET / is counted too. The request in
    // flight when Redis was killed may have reached the append-only file
    // and still got a 503. So the total may exceed the count of 200s by
    // one, but never by more, and never fall short.
    const served = traffic.ok + 1;
    const total = await redisTotal(redis);
    t.diagnostic(`200 pages: ${served}, 503 pages: ${traffic.unavailable}, ` +
        `Redis total: ${total}`);
    assert.ok(total >= served,
        `Redis total ${total} is below the ${served} pages served with 200`);
    assert.ok(total <= served + 1,
        `Redis total ${total} exceeds the ${served} pages served with 200 ` +
        'by more than the one request in flight at the kill');

    await assertSocketsConverge(sockets, redis);
    for (const socket of sockets) {
        await socket.close();
    }
});

test('server started while redis is down', async (t) => {
    const port = await freePort();
    const redis = await startRedis({ port, start: false });
    const server = await startServer({ redisUrl: redis.url });
    cleanUpAfter(t, server, redis);

    await assertUnavailable(server);
    const early = await openSocket(ringUrl(server));
    await sleep(500);
    assert.equal(server.exitInfo(), null, 'ringserver exited');
    assert.equal(await httpGet(`${server.url}/`).then((r) => r.status), 503);

    await redis.start();
    await waitRecovered(server);
    // The early socket could not subscribe while Redis was down.
    assert.equal((await early.callRoute('HEAD', '/')).status, 200);
    const late = await openStatsSocket(server);
    await assertSocketsConverge([early, late], redis);
    assert.ok(await redisTotal(redis) >= 1);

    await early.close();
    await late.close();
});
