// Helpers for scale-out tests: several ringserver processes on one private
// redis-server, traffic spread over them, and Debian's nginx in front of
// them with the configuration from docs/nginx-ringserver.conf.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
    SOURCE_ROOT, freePort, httpGet, sleep, startRedis, startServer,
    waitFor, withTimeout, WaitAborted,
} from './harness.mjs';

export const NGINX_BIN = '/usr/sbin/nginx';
export const NGINX_CONF = path.join(SOURCE_ROOT, 'docs',
    'nginx-ringserver.conf');

// nginx processes and folders still present when the test process exits
// are stopped and removed here.
const nginxChildren = new Set();
const nginxDirs = new Set();

process.on('exit', () => {
    for (const child of nginxChildren) {
        try {
            child.kill('SIGKILL');
        } catch {
            // Already gone.
        }
    }
    for (const dir of nginxDirs) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

// Starts a private redis-server (options as for startRedis) and `count`
// ringserver processes on it, each with `serverArgs`. Resolves with
// {redis, servers, serverArgs}.
export async function startCluster({ count = 3, serverArgs = [],
    redisOptions = {} } = {}) {
    const redis = await startRedis(redisOptions);
    const servers = [];
    for (let i = 0; i < count; i++) {
        servers.push(await startServer({ redisUrl: redis.url,
            extraArgs: serverArgs }));
    }
    return { redis, servers, serverArgs };
}

// Starts a new process on the port of `cluster.servers[index]`, which must
// have exited, and puts it in that slot.
export async function restartServer(cluster, index) {
    const old = cluster.servers[index];
    const server = await startServer({ redisUrl: cluster.redis.url,
        port: old.port, extraArgs: cluster.serverArgs });
    cluster.servers[index] = server;
    return server;
}

// Stops every process still running with SIGTERM and checks that each
// exited with status 0, then stops Redis. Returns the exits that were not
// clean, as text, so that the caller can assert on them.
export async function stopCluster(cluster) {
    const unclean = [];
    for (const server of cluster.servers) {
        if (server.exitInfo()) {
            continue;
        }
        const exit = await server.stop();
        if (exit.code !== 0) {
            unclean.push(`port ${server.port}: ${JSON.stringify(exit)}`);
        }
    }
    await cluster.redis.stop();
    return unclean;
}

// Requests GET / from `urls` in turn, one request at a time, until
// stopped, and counts the statuses. `stop()` resolves with the counts.
export function startTraffic(urls, { pauseMs = 5 } = {}) {
    const traffic = { ok: 0, unavailable: 0, other: [], errors: [],
        running: true };
    traffic.done = (async () => {
        for (let i = 0; traffic.running; i++) {
            const url = urls[i % urls.length];
            try {
                const response = await httpGet(`${url}/`);
                if (response.status === 200) {
                    traffic.ok += 1;
                } else if (response.status === 503) {
                    traffic.unavailable += 1;
                } else {
                    traffic.other.push(response.status);
                }
            } catch (err) {
                traffic.errors.push(`${url}: ${err.message}`);
            }
            await sleep(pauseMs);
        }
    })();
    traffic.stop = async () => {
        traffic.running = false;
        await traffic.done;
        return traffic;
    };
    return traffic;
}

// Resolves once every socket shows `expected` on the stats channel.
export async function waitAllValues(sockets, expected, timeoutMs) {
    await Promise.all(sockets.map((socket) =>
        socket.waitValues(expected, undefined, timeoutMs)));
}

// Returns the value of the Prometheus sample `name` (with its labels, as
// in `ringserver_http_responses_total{status="200"}`) in `text`, or 0.
export function metricValue(text, name) {
    for (const line of text.split('\n')) {
        if (line.startsWith(`${name} `)) {
            return Number(line.slice(name.length + 1));
        }
    }
    return 0;
}

export async function fetchMetric(server, name) {
    const response = await httpGet(`${server.url}/metrics`);
    if (response.status !== 200) {
        throw new Error(`GET /metrics on port ${server.port} returned ` +
            `${response.status}`);
    }
    return metricValue(response.body, name);
}

// Returns the text of docs/nginx-ringserver.conf with its listen address
// set to 127.0.0.1:`port` and its upstream servers set to `upstreamPorts`
// (on 127.0.0.1), keeping every other line as written.
export function rewriteNginxConf(text, port, upstreamPorts) {
    const serverLine = /^(\s*)server 127\.0\.0\.1:\d+(.*)$/;
    if (!/^\s*listen 8080;\s*$/m.test(text) ||
        !/^\s*server 127\.0\.0\.1:\d+/m.test(text)) {
        throw new Error(`${NGINX_CONF} has no "listen 8080;" or no ` +
            '"server 127.0.0.1:PORT" upstream line to rewrite');
    }
    // The first upstream line becomes one line per port, with the same
    // parameters, and the other upstream lines go.
    let replaced = false;
    const lines = text.split('\n').flatMap((line) => {
        const match = line.match(serverLine);
        if (!match) {
            return [line];
        }
        if (replaced) {
            return [];
        }
        replaced = true;
        return upstreamPorts.map((upstreamPort) =>
            `${match[1]}server 127.0.0.1:${upstreamPort}${match[2]}`);
    });
    return lines.join('\n')
        .replace(/^(\s*)listen 8080;/m, `$1listen 127.0.0.1:${port};`);
}

// Starts Debian's nginx in the foreground with the documented server block
// in front of `servers`, every path under a fresh temporary folder, and
// resolves once it responds on its port. Returns {port, url, wsUrl, stop}.
export async function startNginx(servers) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ring-nginx-'));
    nginxDirs.add(dir);
    const port = await freePort();
    const siteConf = path.join(dir, 'ringserver.conf');
    fs.writeFileSync(siteConf, rewriteNginxConf(
        fs.readFileSync(NGINX_CONF, 'utf8'), port,
        servers.map((server) => server.port)));
    const mainConf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(mainConf, [
        'worker_processes 1;',
        'events { worker_connections 1024; }',
        'http {',
        `    access_log ${dir}/access.log;`,
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) =>
            `    ${kind}_temp_path ${dir}/${kind};`),
        `    include ${siteConf};`,
        '}',
        '',
    ].join('\n'));

    const child = spawn(NGINX_BIN, ['-p', dir, '-c', mainConf, '-g',
        `daemon off; pid ${dir}/nginx.pid; error_log stderr;`],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    nginxChildren.add(child);
    const nginx = { port, dir, output: '', exitInfo: null,
        url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
    const collect = (chunk) => {
        nginx.output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise((resolve) => {
        child.on('error', (err) => {
            nginx.exitInfo = { error: err.message };
            nginxChildren.delete(child);
            resolve(nginx.exitInfo);
        });
        child.on('exit', (code, signal) => {
            nginx.exitInfo = { code, signal };
            nginxChildren.delete(child);
            resolve(nginx.exitInfo);
        });
    });
    nginx.stop = async () => {
        if (!nginx.exitInfo) {
            child.kill('SIGQUIT');
            await withTimeout(exited, 'nginx to exit after SIGQUIT');
        }
        fs.rmSync(dir, { recursive: true, force: true });
        nginxDirs.delete(dir);
    };

    await waitFor(async () => {
        if (nginx.exitInfo) {
            throw new WaitAborted(`nginx exited ` +
                `(${JSON.stringify(nginx.exitInfo)}):\n${nginx.output}`);
        }
        await httpGet(`${nginx.url}/healthz`, { timeoutMs: 1000 });
        return true;
    }, `nginx on port ${port} to respond`);
    return nginx;
}
