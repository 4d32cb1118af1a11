// Reads the raw results of scripts/bench (wrk output and the JSON of
// ringload and floor), prints the table, optionally writes it all as JSON,
// and exits 1 when a measurement produced no numbers or a subscriber missed
// a push. Targets are printed for reading and never asserted.
//
// usage: node report.mjs RESULTS_DIR --fanout-counts LIST
//            --memory-sockets N --storm-sockets N --reach-single LIST
//            --reach-triple LIST [--json FILE]

import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const resultsDir = args[0];
const option = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
};
const list = (name) => option(name).split(',').map(Number);

const problems = [];

function readJson(name) {
    const file = path.join(resultsDir, `${name}.json`);
    try {
        return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
        problems.push(`${name}: no result (${error.message})`);
        return null;
    }
}

// Parses wrk's output: requests per second and the failures it counted.
function readWrk(name) {
    const file = path.join(resultsDir, `${name}.txt`);
    let text;
    try {
        text = fs.readFileSync(file, 'utf8');
    } catch (error) {
        problems.push(`${name}: no wrk output (${error.message})`);
        return null;
    }
    const rate = text.match(/Requests\/sec:\s+([\d.]+)/);
    const non2xx = text.match(/Non-2xx or 3xx responses:\s+(\d+)/);
    const errors = text.match(/Socket errors:.*/);
    const result = {
        requests_per_s: rate ? Number(rate[1]) : null,
        non_2xx: non2xx ? Number(non2xx[1]) : 0,
        socket_errors: errors ? errors[0] : null,
    };
    if (!result.requests_per_s) {
        problems.push(`${name}: wrk reported no request rate`);
    }
    if (result.non_2xx) {
        problems.push(`${name}: ${result.non_2xx} responses were not 2xx`);
    }
    return result;
}

// Checks that every expected push arrived and nothing was lost.
function checkComplete(name, result) {
    if (!result) {
        return;
    }
    if (result.received !== result.expected) {
        problems.push(`${name}: ${result.expected - result.received} of ` +
            `${result.expected} pushes never arrived`);
    }
    if (result.failed || result.lost) {
        problems.push(`${name}: ${result.failed} sockets failed to ` +
            `subscribe and ${result.lost} closed`);
    }
}

const ratio = (a, b) => (a != null && b ? a / b : null);
const fixed = (x, digits = 1) => (x == null ? 'n/a' : x.toFixed(digits));

const report = { page_bytes: null, render: {}, fanout: [], memory: null,
    storm: null, reach: {} };
const rows = [];

// 1. Render
report.page_bytes = Number(fs.readFileSync(
    path.join(resultsDir, 'page-size.txt'), 'utf8'));
const page = readWrk('render-page');
const same = readWrk('render-static');
const nginx = readWrk('render-nginx');
report.render = {
    page, static_same_process: same, nginx,
    ratio_to_static: ratio(page?.requests_per_s, same?.requests_per_s),
    ratio_to_nginx: ratio(page?.requests_per_s, nginx?.requests_per_s),
};
rows.push([`render GET / (${report.page_bytes} B), req/s`,
    fixed(page?.requests_per_s, 0),
    `static file, same process: ${fixed(same?.requests_per_s, 0)}`,
    fixed(report.render.ratio_to_static, 2), '>= 0.8']);
rows.push(['', '', `nginx, same file: ${fixed(nginx?.requests_per_s, 0)}`,
    fixed(report.render.ratio_to_nginx, 2), '']);

// 2. Fan-out against the floor, and across processes
const latency = (r) => (r ? `${fixed(r.latency_ms.p50)} / ` +
    `${fixed(r.latency_ms.p99)} / ${fixed(r.latency_ms.max)}` : 'n/a');
for (const count of list('--fanout-counts')) {
    const fan = readJson(`fanout-${count}`);
    const floor = readJson(`floor-${count}`);
    const cross = readJson(`cross-${count}`);
    checkComplete(`fan-out at ${count}`, fan);
    checkComplete(`floor at ${count}`, floor);
    checkComplete(`cross-process fan-out at ${count}`, cross);
    const entry = {
        subscribers: count, same_process: fan, floor, cross_process: cross,
        p99_ratio_to_floor: ratio(fan?.latency_ms.p99, floor?.latency_ms.p99),
        cross_p99_ratio_to_same: ratio(cross?.latency_ms.p99,
            fan?.latency_ms.p99),
    };
    report.fanout.push(entry);
    rows.push([`fan-out ${count}, ms p50/p99/max`, latency(fan),
        `floor: ${latency(floor)}`, fixed(entry.p99_ratio_to_floor, 2),
        'p99 <= 1.5']);
    rows.push([`  across processes ${count}`, latency(cross),
        'same process (above)', fixed(entry.cross_p99_ratio_to_same, 2),
        'p99 <= 1.2']);
}

// 3. Memory, from the one-process fan-out run at --memory-sockets
const memorySockets = Number(option('--memory-sockets'));
const memoryRun = readJson(`fanout-${memorySockets}`);
const rss = memoryRun?.rss?.[0];
if (rss && rss.before_kib > 0 && rss.after_kib > 0) {
    report.memory = {
        sockets: memoryRun.subscribed, baseline_kib: rss.before_kib,
        subscribed_kib: rss.after_kib,
        kib_per_socket: (rss.after_kib - rss.before_kib) /
            memoryRun.subscribed,
    };
} else {
    problems.push('memory: no RSS reading');
}
rows.push([`memory, KiB per idle socket at ${memorySockets}`,
    fixed(report.memory?.kib_per_socket, 2),
    `baseline ${report.memory?.baseline_kib ?? 'n/a'} KiB, subscribed ` +
    `${report.memory?.subscribed_kib ?? 'n/a'} KiB`, '', '<= 4']);

// 4. Storm
const stormNone = readWrk('storm-none');
const stormWrk = readWrk('storm-wrk');
const storm = readJson('storm');
checkComplete('storm subscribers', storm);
if (storm && !storm.storm) {
    problems.push('storm: the storm did not run');
}
if (storm?.storm?.below) {
    problems.push(`storm: ${storm.storm.below} subscribers never showed ` +
        `the final total ${storm.storm.final_total}`);
}
report.storm = {
    subscribers: Number(option('--storm-sockets')),
    none: stormNone, with_subscribers: stormWrk, run: storm,
    rate_ratio: ratio(stormWrk?.requests_per_s, stormNone?.requests_per_s),
    settle_ms: storm?.storm?.settle_ms ?? null,
};
rows.push([`storm GET / with ${report.storm.subscribers} subscribers, req/s`,
    fixed(stormWrk?.requests_per_s, 0),
    `no subscribers: ${fixed(stormNone?.requests_per_s, 0)}`,
    fixed(report.storm.rate_ratio, 2), '>= 0.7']);
rows.push(['  all on the final total after the end, ms',
    fixed(report.storm.settle_ms), `final total ${storm?.storm?.final_total}` +
    `, ${storm?.storm?.below ?? 'n/a'} never`, '', '<= 100']);

// 5. Reach: the largest count where every socket got the push
function reach(name, counts) {
    const steps = counts.map((count) => {
        const r = readJson(`${name}-${count}`);
        const passed = Boolean(r && r.received === count && r.subscribed ===
            count);
        return { sockets: count, passed, result: r };
    });
    // Missing files above were reported as problems; a failing step is a
    // measurement, not a problem, so drop those once counted.
    const passedSteps = steps.filter((s) => s.passed);
    return { steps, max_passed: passedSteps.length ?
        Math.max(...passedSteps.map((s) => s.sockets)) : 0 };
}
const problemsBeforeReach = problems.length;
report.reach.single = reach('reach1', list('--reach-single'));
report.reach.triple = reach('reach3', list('--reach-triple'));
problems.length = problemsBeforeReach;
for (const [key, label, target] of [['single', 'one process', 19000],
    ['triple', 'three processes', 50000]]) {
    const r = report.reach[key];
    if (!r.max_passed) {
        problems.push(`reach on ${label}: no count passed`);
    }
    rows.push([`reach, sockets on ${label}`, String(r.max_passed),
        'tried ' + r.steps.map((s) => `${s.sockets}${s.passed ? '' : ' (failed)'}`)
            .join(', '), '', `>= ${target}`]);
}

// Table
const header = ['measurement', 'figure', 'reference', 'ratio', 'target'];
const widths = header.map((h, i) => Math.max(h.length,
    ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const row of rows) {
    console.log(line(row));
}

report.problems = problems;
if (option('--json')) {
    fs.writeFileSync(option('--json'), JSON.stringify(report, null, 2) + '\n');
    console.log(`bench: wrote ${option('--json')}`);
}
if (problems.length) {
    console.log('bench: incomplete measurements:');
    for (const problem of problems) {
        console.log(`  ${problem}`);
    }
    process.exit(1);
}
