// Shutdown: on SIGTERM or SIGINT the server removes its viewers from the
// count in Redis and exits with status 0. A killed server's viewers stop
// counting once its presence expires.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    startRedis, startServer, openSocket, openStatsSocket, ringUrl,
    redisActive, redisLiveActive, waitFor,
} from '../lib/harness.mjs';

let redis;

before(async () => {
    redis = await startRedis();
});

after(async () => {
    await redis?.stop();
});

function waitRedisActive(expected, read = redisActive) {
    return waitFor(async () => (await read(redis)) === expected,
        `Redis viewers to sum to ${expected}`, { timeoutMs: 20000 });
}

async function openSockets(server, count) {
    const sockets = [];
    for (let i = 0; i < count; i++) {
        const url = i % 2 === 0 ? ringUrl(server) : `${server.wsUrl}/ring`;
        sockets.push(await openSocket(url));
    }
    return sockets;
}

for (const signal of ['SIGTERM', 'SIGINT']) {
    test(`${signal} removes viewers and exits 0`, async () => {
        const count = 5;
        const server = await startServer({ redisUrl: redis.url });
        const sockets = await openSockets(server, count);
        const start = 0;
        await waitRedisActive(start + count);

        const exit = await server.stop(signal);
        const activeAtExit = await redisActive(redis);

        assert.deepEqual(exit, { code: 0, signal: null });
        assert.equal(activeAtExit, start);
        for (const socket of sockets) {
            await socket.waitClose();
        }
    });
}

test('stop leaves other server counted', async () => {
    const first = await startServer({ redisUrl: redis.url });
    const second = await startServer({ redisUrl: redis.url });
    try {
        await openSockets(first, 2);
        const remaining = await openSockets(second, 3);
        await waitRedisActive(5);

        const exit = await first.stop();
        assert.deepEqual(exit, { code: 0, signal: null });
        assert.equal(await redisActive(redis), 3);
        assert.equal(await redisLiveActive(redis), 3);

        for (const socket of remaining) {
            await socket.close();
        }
        await waitRedisActive(0);
    } finally {
        await first.stop();
        await second.stop();
    }
});

test('killed server expires from count', async () => {
    const ttlSeconds = 2;
    const extraArgs = ['--presence-ttl', String(ttlSeconds)];
    const victim = await startServer({ redisUrl: redis.url, extraArgs });
    const survivor = await startServer({ redisUrl: redis.url, extraArgs });
    try {
        await openSockets(victim, 2);
        const watcher = await openStatsSocket(survivor);
        await waitRedisActive(3, redisLiveActive);
        await watcher.waitValues({ active: 3 });

        await victim.kill();
        await waitRedisActive(1, redisLiveActive);
        // Nothing else changes after the kill, so this is the expiry alone
        // reaching the surviving server's sockets.
        await watcher.waitValues({ active: 1 }, undefined, 20000);
        await watcher.close();
        await waitRedisActive(0, redisLiveActive);
    } finally {
        await victim.kill();
        const exit = await survivor.stop();
        assert.deepEqual(exit, { code: 0, signal: null });
    }
});
