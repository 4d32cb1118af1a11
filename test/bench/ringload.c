/*
 * ringload: the WebSocket load client of scripts/bench.
 *
 * It opens N sockets to one or more ringservers, subscribes each to the
 * counters with call-route HEAD /, and then times pushes. The sockets live
 * in worker processes (at most --per-worker each, because a process may
 * hold only as many descriptors as RLIMIT_NOFILE allows). Workers write
 * what each socket last saw into memory shared with the coordinator: the
 * highest total and the CLOCK_MONOTONIC time it arrived. CLOCK_MONOTONIC is
 * one clock for every process on the machine, so the coordinator subtracts
 * the time it sent the action from each arrival.
 *
 * The coordinator sends each action as GET / over HTTP (one page view), and
 * a socket has received it once its total reaches the total that the
 * response page shows. Totals only grow, so a socket that skipped a push
 * (the server sends the newest state to a slow socket) still counts.
 *
 * Results go to stdout as one JSON object. Progress and errors go to
 * stderr. Exit status: 0 when every step ran (whether or not every socket
 * received every push, which the JSON reports), 1 on an error, 2 on a usage
 * error.
 */
#define _GNU_SOURCE
#include <libwebsockets.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

#define MAX_PORTS 8
#define MAX_WORKERS 16
#define MAX_PIDS 8
#define SUBSCRIBE_MESSAGE \
    "{\"action\":\"call-route\",\"id\":\"1\",\"method\":\"HEAD\",\"uri\":\"/\"}"
#define TOTAL_NEEDLE "\"prop\":\"total\",\"value\":\""
#define PAGE_NEEDLE "data-prop=\"total\">"

enum socket_state {
    SOCKET_PENDING,
    SOCKET_CONNECTING,
    SOCKET_OPEN,
    SOCKET_SUBSCRIBED,
    SOCKET_FAILED,
    SOCKET_LOST,
};

/* One socket's state, written by its worker and read by the coordinator. */
struct socket_record {
    _Atomic long long total;    /* highest total pushed, -1 before any */
    _Atomic long long total_ns; /* CLOCK_MONOTONIC when total last grew */
    _Atomic int state;          /* enum socket_state */
};

struct options {
    const char *server;
    int ports[MAX_PORTS];
    int port_count;
    int action_port;
    int redis_port;
    int sockets;
    int per_worker;
    int sources;
    int inflight;
    int rounds;
    int interval_ms;
    int settle_ms;
    int connect_timeout_s;
    int round_timeout_s;
    pid_t rss_pids[MAX_PIDS];
    int rss_pid_count;
    const char *storm_output;
    char **storm_argv;
};

static struct options opt = {
    .server = "127.0.0.1",
    .per_worker = 15000,
    .sources = 32,
    .inflight = 256,
    .rounds = 5,
    .interval_ms = 100,
    .settle_ms = 1000,
    .connect_timeout_s = 60,
    .round_timeout_s = 10,
};

/* Shared with the workers: set once every socket is open, so that none
 * subscribes while others still join. Every join changes "viewers now",
 * which the server pushes to every subscriber, so subscribing while
 * connecting costs N^2 / 2 pushes. */
struct control {
    _Atomic int subscribe;
};

static struct control *control;
static struct socket_record *records;
static pid_t workers[MAX_WORKERS];
static int worker_count;

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* Raises RLIMIT_NOFILE to its hard limit and returns the new soft limit. */
static long raise_fd_limit(void)
{
    struct rlimit limit;

    if (getrlimit(RLIMIT_NOFILE, &limit))
        return 1024;
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    return (long)limit.rlim_cur;
}

/* ---- worker: the lws client ------------------------------------------ */

struct connection {
    int index;
    int attempts;
    int sent;            /* 1 once the subscription went out */
    lws_usec_t retry_at;
    struct lws *wsi;
};

struct worker {
    struct lws_context *context;
    struct connection *connections;
    int first, count;
    int next;            /* next connection never started */
    int inflight;        /* handshakes started and not yet done */
    int retry_waiting;   /* failed attempts waiting for their retry */
    int subscribing;     /* 1 once the coordinator set control->subscribe */
    lws_sorted_usec_list_t tick;
};

static struct worker worker;

/* No validity timer: lws 4.1 keeps every socket's timer in one sorted
 * list, so arming one per socket costs O(N) per socket. The bench's
 * sockets live less than the server's idle timeout. */
static const lws_retry_bo_t no_idle_policy = {
    .secs_since_valid_ping = 0,
    .secs_since_valid_hangup = 0,
};

#define MAX_ATTEMPTS 3
#define RETRY_DELAY_US 200000
#define TICK_US 2000

static void worker_connect(struct connection *c)
{
    struct lws_client_connect_info info;
    char source[32];
    int global = worker.first + c->index;

    snprintf(source, sizeof(source), "127.0.0.%d", 2 + global % opt.sources);
    memset(&info, 0, sizeof(info));
    info.context = worker.context;
    info.address = opt.server;
    info.port = opt.ports[global % opt.port_count];
    info.path = "/ring";
    info.host = opt.server;
    info.protocol = "ring";
    info.local_protocol_name = "ring";
    info.iface = source;
    info.opaque_user_data = c;
    info.pwsi = &c->wsi;
    info.retry_and_idle_policy = &no_idle_policy;
    c->attempts++;
    c->sent = 0;
    worker.inflight++;
    atomic_store(&records[global].state, SOCKET_CONNECTING);
    /* A NULL return has already called CLIENT_CONNECTION_ERROR, which
     * counted the failure. */
    lws_client_connect_via_info(&info);
}

/* Counts a failed attempt: schedules a retry, or gives up after
 * MAX_ATTEMPTS. */
static void worker_attempt_failed(struct connection *c)
{
    c->wsi = NULL;
    if (c->attempts < MAX_ATTEMPTS) {
        c->retry_at = lws_now_usecs() + RETRY_DELAY_US;
        worker.retry_waiting++;
        atomic_store(&records[worker.first + c->index].state, SOCKET_PENDING);
        return;
    }
    atomic_store(&records[worker.first + c->index].state, SOCKET_FAILED);
}

static void worker_tick(lws_sorted_usec_list_t *sul)
{
    lws_usec_t now = lws_now_usecs();

    (void)sul;
    if (!worker.subscribing && atomic_load(&control->subscribe)) {
        worker.subscribing = 1;
        for (int i = 0; i < worker.next; i++)
            if (worker.connections[i].wsi &&
                atomic_load(&records[worker.first + i].state) == SOCKET_OPEN)
                lws_callback_on_writable(worker.connections[i].wsi);
    }
    if (worker.retry_waiting) {
        for (int i = 0; i < worker.next && worker.inflight < opt.inflight;
             i++) {
            struct connection *c = &worker.connections[i];

            if (c->retry_at && c->retry_at <= now) {
                c->retry_at = 0;
                worker.retry_waiting--;
                worker_connect(c);
            }
        }
    }
    while (worker.next < worker.count && worker.inflight < opt.inflight)
        worker_connect(&worker.connections[worker.next++]);
    if (worker.next < worker.count || worker.retry_waiting ||
        worker.inflight || !worker.subscribing)
        lws_sul_schedule(worker.context, 0, &worker.tick, worker_tick,
                         TICK_US);
}

/* Parses the total out of a push, or returns -1 when it carries none. */
static long long parse_total(const char *in, size_t len)
{
    const char *p = memmem(in, len, TOTAL_NEEDLE, sizeof(TOTAL_NEEDLE) - 1);
    const char *end = in + len;
    long long value = 0;

    if (!p)
        return -1;
    p += sizeof(TOTAL_NEEDLE) - 1;
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    while (p < end && *p >= '0' && *p <= '9')
        value = value * 10 + (*p++ - '0');
    return value;
}

static void worker_receive(struct connection *c, const char *in, size_t len)
{
    struct socket_record *r = &records[worker.first + c->index];
    long long total = parse_total(in, len);

    if (total < 0 || total <= atomic_load(&r->total))
        return;
    /* total_ns first: the coordinator reads total, then total_ns. */
    atomic_store(&r->total_ns, now_ns());
    atomic_store(&r->total, total);
    if (atomic_load(&r->state) == SOCKET_OPEN)
        atomic_store(&r->state, SOCKET_SUBSCRIBED);
}

static int worker_callback(struct lws *wsi, enum lws_callback_reasons reason,
                           void *user, void *in, size_t len)
{
    struct connection *c = lws_get_opaque_user_data(wsi);
    unsigned char frame[LWS_PRE + sizeof(SUBSCRIBE_MESSAGE)];
    int state;

    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!c)
            break;
        worker.inflight--;
        atomic_store(&records[worker.first + c->index].state, SOCKET_OPEN);
        if (worker.subscribing)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        /* lws may call this on its own; subscribe once, when told to. */
        if (!c || c->sent || !worker.subscribing)
            break;
        c->sent = 1;
        memcpy(frame + LWS_PRE, SUBSCRIBE_MESSAGE,
               sizeof(SUBSCRIBE_MESSAGE) - 1);
        if (lws_write(wsi, frame + LWS_PRE, sizeof(SUBSCRIBE_MESSAGE) - 1,
                      LWS_WRITE_TEXT) < 0)
            return -1;
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c)
            worker_receive(c, in, len);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c) {
            worker.inflight--;
            worker_attempt_failed(c);
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!c)
            break;
        state = atomic_load(&records[worker.first + c->index].state);
        if (state == SOCKET_SUBSCRIBED) {
            atomic_store(&records[worker.first + c->index].state,
                         SOCKET_LOST);
            c->wsi = NULL;
        } else if (state == SOCKET_OPEN) {
            worker_attempt_failed(c);
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols worker_protocols[] = {
    { "ring", worker_callback, 0, 4096, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Runs one worker for records [first, first + count) until SIGTERM. */
static void worker_main(int first, int count)
{
    struct lws_context_creation_info info;

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        _exit(1);
    lws_set_log_level(LLL_ERR, NULL);
    worker.first = first;
    worker.count = count;
    worker.connections = calloc((size_t)count, sizeof(*worker.connections));
    if (!worker.connections)
        _exit(1);
    for (int i = 0; i < count; i++)
        worker.connections[i].index = i;

    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = worker_protocols;
    info.fd_limit_per_thread = (unsigned int)raise_fd_limit();
    /* libev waits with epoll: poll() over 10,000 sockets would cost the
     * client more than the pushes it times. */
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_LIBEV;
    worker.context = lws_create_context(&info);
    if (!worker.context) {
        fprintf(stderr, "ringload: no libev event loop in libwebsockets, "
                "using poll()\n");
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
        worker.context = lws_create_context(&info);
    }
    if (!worker.context) {
        fprintf(stderr, "ringload: worker cannot create an lws context\n");
        _exit(1);
    }
    lws_sul_schedule(worker.context, 0, &worker.tick, worker_tick, 1);
    for (;;)
        if (lws_service(worker.context, 0) < 0)
            break;
    _exit(1);
}

/* ---- coordinator -------------------------------------------------------- */

static void stop_workers(void)
{
    for (int i = 0; i < worker_count; i++)
        if (workers[i] > 0)
            kill(workers[i], SIGTERM);
    for (int i = 0; i < worker_count; i++)
        if (workers[i] > 0)
            waitpid(workers[i], NULL, 0);
    worker_count = 0;
}

static void on_signal(int sig)
{
    for (int i = 0; i < worker_count; i++)
        if (workers[i] > 0)
            kill(workers[i], SIGTERM);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Connects a blocking TCP socket to 127.0.0.1:port with 5 s timeouts. */
static int tcp_connect(int port)
{
    struct sockaddr_in addr;
    struct timeval timeout = { 5, 0 };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, opt.server, &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends `request` and reads the reply until the peer closes it, into
 * `reply` (NUL-terminated). Returns the reply's length or -1. */
static ssize_t tcp_exchange(int port, const char *request, char *reply,
                            size_t size)
{
    int fd = tcp_connect(port);
    size_t used = 0, len = strlen(request);

    if (fd < 0)
        return -1;
    if (write(fd, request, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    while (used + 1 < size) {
        ssize_t n = read(fd, reply + used, size - 1 - used);

        if (n <= 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    reply[used] = '\0';
    return (ssize_t)used;
}

/* Sends GET / (one page view) to the action port and returns the total the
 * page shows, or -1. */
static long long send_action(void)
{
    char request[128], reply[16384];
    const char *p;

    snprintf(request, sizeof(request),
             "GET / HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n",
             opt.server, opt.action_port);
    if (tcp_exchange(opt.action_port, request, reply, sizeof(reply)) < 0)
        return -1;
    if (strncmp(reply, "HTTP/1.1 200", 12)) {
        fprintf(stderr, "ringload: GET / on port %d did not return 200: "
                "%.60s\n", opt.action_port, reply);
        return -1;
    }
    p = strstr(reply, PAGE_NEEDLE);
    if (!p)
        return -1;
    return strtoll(p + sizeof(PAGE_NEEDLE) - 1, NULL, 10);
}

/* Reads {ring}:total straight from Redis, or returns -1. */
static long long redis_total(void)
{
    static const char request[] =
        "*2\r\n$3\r\nGET\r\n$12\r\n{ring}:total\r\n";
    char reply[256];
    int fd = tcp_connect(opt.redis_port);
    ssize_t n;
    const char *p;

    if (fd < 0)
        return -1;
    if (write(fd, request, sizeof(request) - 1) !=
        (ssize_t)sizeof(request) - 1) {
        close(fd);
        return -1;
    }
    n = read(fd, reply, sizeof(reply) - 1);
    close(fd);
    if (n <= 0 || reply[0] != '$')
        return -1;
    reply[n] = '\0';
    p = strstr(reply, "\r\n");
    return p ? strtoll(p + 2, NULL, 10) : -1;
}

/* Returns VmRSS of `pid` in KiB, or -1. */
static long read_rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

struct state_counts {
    int pending, connecting, open, subscribed, failed, lost;
};

static struct state_counts count_states(void)
{
    struct state_counts c = { 0 };

    for (int i = 0; i < opt.sockets; i++) {
        switch (atomic_load(&records[i].state)) {
        case SOCKET_PENDING: c.pending++; break;
        case SOCKET_CONNECTING: c.connecting++; break;
        case SOCKET_OPEN: c.open++; break;
        case SOCKET_SUBSCRIBED: c.subscribed++; break;
        case SOCKET_FAILED: c.failed++; break;
        default: c.lost++; break;
        }
    }
    return c;
}

static void start_workers(void)
{
    int first = 0;

    worker_count = (opt.sockets + opt.per_worker - 1) / opt.per_worker;
    for (int w = 0; w < worker_count; w++) {
        int count = opt.sockets / worker_count +
                    (w < opt.sockets % worker_count);
        pid_t pid = fork();

        if (pid < 0) {
            perror("ringload: fork");
            stop_workers();
            exit(1);
        }
        if (pid == 0)
            worker_main(first, count);
        workers[w] = pid;
        first += count;
    }
}

/* Waits until no socket is still connecting or, when `subscribing`,
 * waiting for its first push. Returns seconds taken, or -1 on timeout. */
static double wait_sockets(int subscribing)
{
    long long start = now_ns();
    long long deadline = start + (long long)opt.connect_timeout_s * 1000000000LL;
    long long next_report = start + 5000000000LL;
    struct state_counts c;

    for (;;) {
        c = count_states();
        if (c.pending + c.connecting + (subscribing ? c.open : 0) == 0)
            return (double)(now_ns() - start) / 1e9;
        if (now_ns() > deadline)
            return -1;
        if (now_ns() > next_report) {
            fprintf(stderr, "ringload: %d of %d sockets open, %d "
                    "subscribed, %d connecting, %d waiting to retry\n",
                    c.open + c.subscribed, opt.sockets, c.subscribed,
                    c.connecting, c.pending);
            next_report += 5000000000LL;
        }
        sleep_ms(5);
    }
}

/* Waits until every subscribed socket shows at least `total`, up to
 * timeout_s. Returns the number of subscribed sockets still below it. */
static int wait_total(long long total, int timeout_s)
{
    long long deadline = now_ns() + (long long)timeout_s * 1000000000LL;
    int below;

    do {
        below = 0;
        for (int i = 0; i < opt.sockets; i++)
            if (atomic_load(&records[i].state) == SOCKET_SUBSCRIBED &&
                atomic_load(&records[i].total) < total)
                below++;
        if (!below)
            return 0;
        sleep_ms(1);
    } while (now_ns() < deadline);
    return below;
}

/* Appends, for every socket showing at least `total`, its arrival time
 * minus t0 in ms. Returns how many it appended. */
static int collect_latencies(long long total, long long t0, double *out)
{
    int n = 0;

    for (int i = 0; i < opt.sockets; i++) {
        if (atomic_load(&records[i].total) < total)
            continue;
        out[n++] = (double)(atomic_load(&records[i].total_ns) - t0) / 1e6;
    }
    return n;
}

struct round_result {
    int rounds_run;
    long expected;      /* sockets × rounds */
    long received;
    double *samples;
};

static int run_rounds(struct round_result *result)
{
    result->samples = malloc(sizeof(double) * (size_t)opt.sockets *
                             (size_t)(opt.rounds ? opt.rounds : 1));
    if (!result->samples)
        return -1;
    for (int r = 0; r < opt.rounds; r++) {
        long long t0 = now_ns();
        long long total = send_action();

        if (total < 0) {
            fprintf(stderr, "ringload: the action on port %d failed\n",
                    opt.action_port);
            return -1;
        }
        wait_total(total, opt.round_timeout_s);
        result->expected += opt.sockets;
        result->received += collect_latencies(
            total, t0, result->samples + result->received);
        result->rounds_run++;
        sleep_ms(opt.interval_ms);
    }
    return 0;
}

/* Runs the storm command with stdout to `path`; returns its exit time. */
static long long run_command(char **argv, const char *path)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(127);
        execvp(argv[0], argv);
        perror("ringload: exec");
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        fprintf(stderr, "ringload: %s failed\n", argv[0]);
        return -1;
    }
    return now_ns();
}

struct storm_result {
    int ran;
    long long final_total;
    int below;          /* subscribed sockets never on the final total */
    double settle_ms;   /* last arrival of the final total after the end */
    double *after_ms;   /* each socket's arrival minus the end, >= 0 */
    int after_count;
};

/* Storms the server with the command, then times how long after it ends
 * every subscribed socket shows the final total from Redis. The total is
 * read again once they all show it, in case a request was still running
 * when the command exited. */
static int run_storm(struct storm_result *s)
{
    long long end = run_command(opt.storm_argv, opt.storm_output);
    long long final_total = -1, previous = -2;

    if (end < 0)
        return -1;
    s->ran = 1;
    for (int tries = 0; tries < 5 && final_total != previous; tries++) {
        previous = final_total;
        final_total = redis_total();
        if (final_total < 0) {
            fprintf(stderr, "ringload: cannot read the total from Redis on "
                    "port %d\n", opt.redis_port);
            return -1;
        }
        s->below = wait_total(final_total, opt.round_timeout_s);
    }
    s->final_total = final_total;
    s->after_ms = malloc(sizeof(double) * (size_t)opt.sockets);
    if (!s->after_ms)
        return -1;
    s->after_count = collect_latencies(final_total, end, s->after_ms);
    s->settle_ms = 0;
    for (int i = 0; i < s->after_count; i++) {
        if (s->after_ms[i] < 0)
            s->after_ms[i] = 0;
        if (s->after_ms[i] > s->settle_ms)
            s->settle_ms = s->after_ms[i];
    }
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
        "usage: ringload --port N[,N...] --sockets N [options] [-- STORM...]\n"
        "  --server ADDR         server address (default 127.0.0.1)\n"
        "  --port N[,N...]       ringserver ports; sockets go round-robin\n"
        "  --action-port N       port that receives GET / (default: first)\n"
        "  --redis-port N        Redis port, to read the total after a storm\n"
        "  --sockets N           sockets to open\n"
        "  --per-worker N        max sockets per worker process (15000)\n"
        "  --sources N           source addresses 127.0.0.2 and up (32)\n"
        "  --inflight N          max handshakes at once per worker (256)\n"
        "  --rounds N            actions to time (5)\n"
        "  --interval-ms N       pause between actions (100)\n"
        "  --settle-ms N         pause after subscribing, before measuring (1000)\n"
        "  --connect-timeout S   max seconds to subscribe every socket (60)\n"
        "  --round-timeout S     max seconds to wait for one push (10)\n"
        "  --rss-pid PID         report VmRSS of PID before and after (repeatable)\n"
        "  --storm-output FILE   stdout of the storm command\n"
        "  -- STORM...           after the rounds, run this command and time\n"
        "                        how long until every socket shows the final\n"
        "                        total (needs --redis-port, --storm-output)\n");
}

static int parse_int(const char *name, const char *value, int min, int max)
{
    char *end;
    long n = strtol(value ? value : "", &end, 10);

    if (!value || *end || n < min || n > max) {
        fprintf(stderr, "ringload: %s needs an integer from %d to %d, got "
                "\"%s\"\n", name, min, max, value ? value : "");
        usage(stderr);
        exit(2);
    }
    return (int)n;
}

static void parse_ports(const char *value)
{
    char copy[256], *save = NULL;

    snprintf(copy, sizeof(copy), "%s", value ? value : "");
    for (char *p = strtok_r(copy, ",", &save); p;
         p = strtok_r(NULL, ",", &save)) {
        if (opt.port_count == MAX_PORTS) {
            fprintf(stderr, "ringload: at most %d ports\n", MAX_PORTS);
            exit(2);
        }
        opt.ports[opt.port_count++] = parse_int("--port", p, 1, 65535);
    }
}

static void parse_options(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--")) {
            opt.storm_argv = argv + i + 1;
            break;
        } else if (!strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--server") && v) {
            opt.server = v;
        } else if (!strcmp(a, "--port")) {
            parse_ports(v);
        } else if (!strcmp(a, "--action-port")) {
            opt.action_port = parse_int(a, v, 1, 65535);
        } else if (!strcmp(a, "--redis-port")) {
            opt.redis_port = parse_int(a, v, 1, 65535);
        } else if (!strcmp(a, "--sockets")) {
            opt.sockets = parse_int(a, v, 1, 1000000);
        } else if (!strcmp(a, "--per-worker")) {
            opt.per_worker = parse_int(a, v, 1, 1000000);
        } else if (!strcmp(a, "--sources")) {
            opt.sources = parse_int(a, v, 1, 250);
        } else if (!strcmp(a, "--inflight")) {
            opt.inflight = parse_int(a, v, 1, 100000);
        } else if (!strcmp(a, "--rounds")) {
            opt.rounds = parse_int(a, v, 0, 10000);
        } else if (!strcmp(a, "--interval-ms")) {
            opt.interval_ms = parse_int(a, v, 0, 60000);
        } else if (!strcmp(a, "--settle-ms")) {
            opt.settle_ms = parse_int(a, v, 0, 600000);
        } else if (!strcmp(a, "--connect-timeout")) {
            opt.connect_timeout_s = parse_int(a, v, 1, 3600);
        } else if (!strcmp(a, "--round-timeout")) {
            opt.round_timeout_s = parse_int(a, v, 1, 3600);
        } else if (!strcmp(a, "--rss-pid")) {
            if (opt.rss_pid_count == MAX_PIDS) {
                fprintf(stderr, "ringload: at most %d --rss-pid\n", MAX_PIDS);
                exit(2);
            }
            opt.rss_pids[opt.rss_pid_count++] =
                parse_int(a, v, 1, 1 << 30);
        } else if (!strcmp(a, "--storm-output") && v) {
            opt.storm_output = v;
        } else {
            fprintf(stderr, "ringload: unknown option or missing value: "
                    "%s\n", a);
            usage(stderr);
            exit(2);
        }
        i++;
    }
    if (!opt.port_count || !opt.sockets) {
        fprintf(stderr, "ringload: --port and --sockets are required\n");
        usage(stderr);
        exit(2);
    }
    if (opt.storm_argv && (!opt.storm_argv[0] || !opt.storm_output ||
                           !opt.redis_port)) {
        fprintf(stderr, "ringload: a storm command needs --storm-output "
                "and --redis-port\n");
        exit(2);
    }
    if (!opt.action_port)
        opt.action_port = opt.ports[0];
    if ((opt.sockets + opt.per_worker - 1) / opt.per_worker > MAX_WORKERS) {
        fprintf(stderr, "ringload: %d sockets need more than %d workers of "
                "%d; raise --per-worker\n", opt.sockets, MAX_WORKERS,
                opt.per_worker);
        exit(2);
    }
}

static void print_latencies(const char *name, double *samples, long n)
{
    struct percentiles p = percentiles_of(samples, (size_t)n);

    printf("\"%s\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}", name, p.p50,
           p.p99, p.max);
}

int main(int argc, char **argv)
{
    struct round_result rounds = { 0 };
    struct storm_result storm = { 0 };
    struct state_counts counts;
    long rss_before[MAX_PIDS], rss_after[MAX_PIDS];
    double connect_s, subscribe_s = -1;
    size_t map_size;
    void *map;

    parse_options(argc, argv);
    map_size = 64 + sizeof(struct socket_record) * (size_t)opt.sockets;
    map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        perror("ringload: mmap");
        return 1;
    }
    control = map;
    records = (struct socket_record *)((char *)map + 64);
    for (int i = 0; i < opt.sockets; i++)
        atomic_store(&records[i].total, -1);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    for (int i = 0; i < opt.rss_pid_count; i++)
        rss_before[i] = read_rss_kib(opt.rss_pids[i]);
    start_workers();
    connect_s = wait_sockets(0);
    if (connect_s >= 0) {
        atomic_store(&control->subscribe, 1);
        subscribe_s = wait_sockets(1);
    }
    counts = count_states();
    fprintf(stderr, "ringload: %d open in %.1f s; %d subscribed in %.1f s; "
            "%d failed, %d lost\n", counts.open + counts.subscribed,
            connect_s, counts.subscribed, subscribe_s, counts.failed,
            counts.lost);
    if (connect_s < 0 || subscribe_s < 0) {
        fprintf(stderr, "ringload: sockets still connecting after %d s\n",
                opt.connect_timeout_s);
        stop_workers();
        return 1;
    }
    sleep_ms(opt.settle_ms);
    for (int i = 0; i < opt.rss_pid_count; i++)
        rss_after[i] = read_rss_kib(opt.rss_pids[i]);

    if (run_rounds(&rounds) || (opt.storm_argv && run_storm(&storm))) {
        stop_workers();
        return 1;
    }
    counts = count_states();
    stop_workers();

    printf("{\"sockets\":%d,\"subscribed\":%d,\"failed\":%d,\"lost\":%d,"
           "\"connect_s\":%.3f,\"subscribe_s\":%.3f", opt.sockets,
           counts.subscribed, counts.failed + counts.open, counts.lost,
           connect_s, subscribe_s);
    printf(",\"rss\":[");
    for (int i = 0; i < opt.rss_pid_count; i++)
        printf("%s{\"pid\":%d,\"before_kib\":%ld,\"after_kib\":%ld}",
               i ? "," : "", (int)opt.rss_pids[i], rss_before[i],
               rss_after[i]);
    printf("],\"rounds\":%d,\"expected\":%ld,\"received\":%ld,",
           rounds.rounds_run, rounds.expected, rounds.received);
    print_latencies("latency_ms", rounds.samples, rounds.received);
    if (storm.ran) {
        printf(",\"storm\":{\"final_total\":%lld,\"below\":%d,"
               "\"received\":%d,\"settle_ms\":%.3f,", storm.final_total,
               storm.below, storm.after_count, storm.settle_ms);
        print_latencies("after_end_ms", storm.after_ms, storm.after_count);
        printf("}");
    }
    printf("}\n");
    return 0;
}
