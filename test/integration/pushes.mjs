// Pushes while nothing visible changes: heartbeats (every third of
// --presence-ttl) and other refreshes re-read a channel that did not move.
// Such a read must leave the channel's frames alone, so every diff a socket
// gets starts from the version it shows and carries a change.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    STATS_CHANNEL, startRedis, startServer, httpGet, openStatsSocket,
    redisActive, redisTotal, sleep, terminateSockets, waitFor,
} from '../lib/harness.mjs';

const SOCKETS = 20;
const PAGE_VIEWS = 60;

let redis;
let server;

before(async () => {
    redis = await startRedis();
    server = await startServer({ redisUrl: redis.url,
        extraArgs: ['--presence-ttl', '2'] });
});

after(async () => {
    terminateSockets();
    if (server) {
        const exit = await server.stop();
        assert.equal(exit.code, 0, `ringserver exit: ${JSON.stringify(exit)}`);
    }
    await redis?.stop();
});

test('diffs chain through heartbeats', async () => {
    const sockets = [];
    for (let i = 0; i < SOCKETS; i++) {
        sockets.push(await openStatsSocket(server));
    }

    // Page views spread over about three seconds, so that several
    // heartbeats (every 0.67 s here) re-read the channel between them.
    for (let i = 0; i < PAGE_VIEWS; i++) {
        await httpGet(`${server.url}/`);
        await sleep(50);
    }
    const total = await redisTotal(redis);
    const active = await redisActive(redis);

    for (const socket of sockets) {
        await socket.waitValues({ total, active });
        for (const push of socket.pushes) {
            if (!push.full) {
                assert.ok(push.payload.length > 0,
                    `empty diff to ${push.version} from ${push.from}`);
            }
        }
        assert.equal(socket.gaps, undefined,
            `a diff did not start from the shown version: ` +
            JSON.stringify(socket.gaps?.[0]));
        const shown = socket.channels.get(STATS_CHANNEL);
        assert.ok(shown.version > 0, 'the socket shows a version');
    }
    await Promise.all(sockets.map((socket) => socket.close()));
    await waitFor(async () => (await redisActive(redis)) === 0,
        'Redis {ring}:active to return to 0');
});
