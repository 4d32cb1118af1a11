// HTTP routes of ringserver: the counted page, /healthz, static files,
// unknown paths and path traversal.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import {
    SOURCE_ROOT, startRedis, startServer, httpGet, httpRequest, pageProp,
    redisTotal, sleep,
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

test('GET / counts one view', async () => {
    for (let i = 0; i < 3; i++) {
        const totalBefore = await redisTotal(redis);
        const response = await httpGet(`${server.url}/`);
        const totalAfter = await redisTotal(redis);

        assert.equal(response.status, 200);
        assert.match(response.headers['content-type'], /^text\/html/);
        assert.equal(totalAfter, totalBefore + 1);
        assert.equal(pageProp(response.body, 'total'), String(totalAfter));
    }
});

test('GET / page links socket and client', async () => {
    const response = await httpGet(`${server.url}/`);
    const body = response.body;

    assert.equal(response.status, 200);
    assert.match(body, /<meta name="ring-socket" content="\/ring\?token=1\.[0-9a-f]{8}\.\d+\.stats%3Afor_default_post%3Apost%40\d+\.[0-9a-f]{64}">/);
    assert.match(body, /<script src="\/static\/ring\.js" defer><\/script>/);
    assert.match(body, /data-ring-channel="stats:for_default_post:post"/);
    assert.match(body, /data-scope="stats"/);
    assert.notEqual(pageProp(body, 'active'), null);
});

test('concurrent GETs counted once each', async () => {
    const count = 20;
    const totalBefore = await redisTotal(redis);
    const responses = await Promise.all(Array.from({ length: count },
        () => httpGet(`${server.url}/`)));
    const totalAfter = await redisTotal(redis);

    assert.equal(totalAfter, totalBefore + count);
    for (const response of responses) {
        assert.equal(response.status, 200);
        const pageTotal = Number(pageProp(response.body, 'total'));
        assert.ok(pageTotal > totalBefore,
            `page total ${pageTotal} is not above ${totalBefore}`);
        assert.ok(pageTotal <= totalAfter,
            `page total ${pageTotal} is above ${totalAfter}`);
    }
});

test('HEAD / returns headers and counts nothing', async () => {
    const totalBefore = await redisTotal(redis);
    const response = await httpRequest(`${server.url}/`, { method: 'HEAD' });

    assert.equal(response.status, 200);
    assert.match(response.headers['content-type'], /^text\/html/);
    assert.equal(response.body, '');
    assert.ok(Number(response.headers['content-length']) > 0,
        'HEAD / must give the length of the page GET / would send');
    assert.equal(await redisTotal(redis), totalBefore,
        'HEAD / must not count a page view: nobody sees the page');
});

test('other methods on / are 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
        const totalBefore = await redisTotal(redis);
        const response = await httpRequest(`${server.url}/`,
            { method, body: method === 'DELETE' ? null : 'x=1',
                headers: { 'content-type':
                    'application/x-www-form-urlencoded' } });

        assert.equal(response.status, 405, `${method} /`);
        assert.equal(await redisTotal(redis), totalBefore,
            `${method} / must not count a view`);
    }
});

test('healthz and static files not counted', async () => {
    const totalBefore = await redisTotal(redis);
    const health = await httpGet(`${server.url}/healthz`);
    await httpGet(`${server.url}/static/ring.js`);

    assert.equal(health.status, 200);
    assert.match(health.body, /ok/);
    assert.equal(await redisTotal(redis), totalBefore);
});

test('unknown path is 404 html', async () => {
    for (const target of ['/nope', '/static/nope.js', '/ringx', '/index.html']) {
        const response = await httpGet(`${server.url}${target}`);

        assert.equal(response.status, 404, target);
        assert.match(response.headers['content-type'], /^text\/html/, target);
        assert.match(response.body, /<html|<!doctype/i, target);
    }
});

test('static ring.js served as javascript', async () => {
    const response = await httpGet(`${server.url}/static/ring.js`);
    const onDisk = fs.readFileSync(path.join(SOURCE_ROOT, 'static',
        'ring.js'), 'utf8');

    assert.equal(response.status, 200);
    assert.match(response.headers['content-type'],
        /^(application|text)\/javascript/);
    assert.equal(response.body, onDisk);
});

test('static style.css served as css', async () => {
    const response = await httpGet(`${server.url}/static/style.css`);
    const onDisk = fs.readFileSync(path.join(SOURCE_ROOT, 'static',
        'style.css'), 'utf8');

    assert.equal(response.status, 200);
    assert.match(response.headers['content-type'], /^text\/css/);
    assert.equal(response.body, onDisk);
});

test('path traversal never leaks files', async () => {
    const mesonBuild = fs.readFileSync(path.join(SOURCE_ROOT, 'meson.build'),
        'utf8');
    const targets = [
        '/static/../meson.build',
        '/static/%2e%2e/meson.build',
        '/static/%2E%2E/meson.build',
        '/static/..%2fmeson.build',
        '/static/..%2Fmeson.build',
        '/static/%2e%2e%2fmeson.build',
        '/static/%2e%2e%2f%2e%2e%2fetc/passwd',
        '/static/../../etc/passwd',
        '/static/%252e%252e/meson.build',
        '/static/%252e%252e%252fmeson.build',
        '/static/..%5cmeson.build',
        '/static/.%2e/meson.build',
        '/static//../meson.build',
        '/static/%00../meson.build',
        '/static/ring.js/../../meson.build',
        '/../meson.build',
        '/static/../templates',
    ];
    for (const target of targets) {
        const response = await httpGet(`${server.url}${target}`);

        assert.ok([400, 403, 404].includes(response.status),
            `${target} returned status ${response.status}`);
        assert.ok(!response.body.includes("project('ringserver'"),
            `${target} returned meson.build`);
        assert.ok(!response.body.includes(mesonBuild.slice(0, 40)),
            `${target} returned meson.build`);
        assert.ok(!/root:.*:0:0:/.test(response.body),
            `${target} returned /etc/passwd`);
    }

    const health = await httpGet(`${server.url}/healthz`);
    assert.equal(health.status, 200, 'server still serves after traversal');
});

test('pipelined body keeps server serving', async () => {
    // lws 4.1 once spun at full CPU on a keep-alive connection that had a
    // request pipelined behind a request body, and stopped serving anyone.
    const raw = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' +
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' +
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
    raw.on('error', () => {});
    await sleep(300);

    const health = await httpGet(`${server.url}/healthz`, { timeoutMs: 3000 });
    assert.equal(health.status, 200);
    raw.destroy();
});

