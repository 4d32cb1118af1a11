/*
 * floor: what a fan-out costs with nothing but the kernel, for scripts/bench.
 *
 * It opens N loopback TCP connections between two processes, a sender and
 * a receiver (each holds N descriptors, so N may come close to
 * RLIMIT_NOFILE). Each round, the sender takes t0 from CLOCK_MONOTONIC and
 * writes one 64-byte message to every connection in turn. The receiver
 * waits with epoll and takes each arrival time from the same clock, which
 * every process on the machine shares. A socket's latency is its arrival
 * minus t0. Output: one JSON object with p50, p99 and max over every socket
 * of every round, in ms.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

#define MESSAGE_SIZE 64
#define WAIT_MS 10000

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void raise_fd_limit(void)
{
    struct rlimit limit;

    if (!getrlimit(RLIMIT_NOFILE, &limit)) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/* Reads one byte from fd within WAIT_MS; returns it, or -1. */
static int read_signal(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char c;

    if (poll(&p, 1, WAIT_MS) != 1 || read(fd, &c, 1) != 1)
        return -1;
    return c;
}

/* Accepts n connections, then times `rounds` rounds of one message on
 * each; arrivals[round * n + i] gets the arrival time of connection i. */
static void receiver(int listener, int n, int rounds, int to_sender,
                     long long *arrivals)
{
    int epoll_fd = epoll_create1(0);
    int *received = calloc((size_t)n, sizeof(int));
    struct epoll_event *events = calloc(1024, sizeof(*events));

    if (epoll_fd < 0 || !received || !events)
        die("receiver setup");
    for (int i = 0; i < n; i++) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (unsigned)i };

        if (fd < 0)
            die("accept");
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev))
            die("epoll_ctl");
        received[i] = fd;
    }
    if (write(to_sender, "R", 1) != 1)
        die("write to the sender");
    for (int r = 0; r < rounds; r++) {
        long long deadline = now_ns() + WAIT_MS * 1000000LL;
        int got = 0;

        while (got < n && now_ns() < deadline) {
            int ready = epoll_wait(epoll_fd, events, 1024, 100);

            for (int e = 0; e < ready; e++) {
                unsigned i = events[e].data.u32;
                char buf[MESSAGE_SIZE * 4];
                ssize_t len = read(received[i], buf, sizeof(buf));

                if (len <= 0)
                    continue;
                /* NOTE: a message split across two reads counts at its
                 * first part; loopback delivers 64 bytes in one piece. */
                arrivals[(size_t)r * (size_t)n + i] = now_ns();
                got++;
            }
        }
        if (write(to_sender, got == n ? "D" : "T", 1) != 1)
            die("write to the sender");
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    int n = 0, rounds = 5, sources = 8, sv[2], listener, one = 1;
    struct sockaddr_in addr;
    socklen_t addr_len = sizeof(addr);
    long long *arrivals, *t0;
    int *fds;
    double *samples;
    long received = 0;
    char message[MESSAGE_SIZE];
    pid_t child;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--sockets"))
            n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds"))
            rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--sources"))
            sources = atoi(argv[i + 1]);
        else
            n = -1;
    }
    if (n <= 0 || rounds <= 0 || sources <= 0 || sources > 250 ||
        argc % 2 == 0) {
        fprintf(stderr, "usage: floor --sockets N [--rounds N (5)] "
                "[--sources N (8): source addresses 127.0.0.2 and up]\n");
        return 2;
    }
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    arrivals = mmap(NULL, sizeof(long long) * ((size_t)n * (size_t)rounds + 1),
                    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    fds = calloc((size_t)n, sizeof(int));
    samples = calloc((size_t)n * (size_t)rounds, sizeof(double));
    t0 = calloc((size_t)rounds, sizeof(long long));
    if (arrivals == MAP_FAILED || !fds || !samples || !t0)
        die("allocation");

    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 ||
        bind(listener, (struct sockaddr *)&addr, sizeof(addr)) ||
        listen(listener, 4096) ||
        getsockname(listener, (struct sockaddr *)&addr, &addr_len))
        die("listen on 127.0.0.1");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        die("socketpair");

    child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        close(sv[0]);
        receiver(listener, n, rounds, sv[1], arrivals);
    }
    close(listener);
    close(sv[1]);

    for (int i = 0; i < n; i++) {
        struct sockaddr_in source = { .sin_family = AF_INET };

        source.sin_addr.s_addr = htonl(0x7f000002u + (unsigned)(i % sources));
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0 ||
            bind(fds[i], (struct sockaddr *)&source, sizeof(source)) ||
            connect(fds[i], (struct sockaddr *)&addr, sizeof(addr)))
            die("connect");
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (read_signal(sv[0]) != 'R') {
        fprintf(stderr, "floor: the receiver did not accept %d connections\n",
                n);
        kill(child, SIGTERM);
        return 1;
    }

    memset(message, 'x', sizeof(message));
    for (int r = 0; r < rounds; r++) {
        int status;

        t0[r] = now_ns();
        for (int i = 0; i < n; i++)
            if (write(fds[i], message, sizeof(message)) != sizeof(message))
                die("write");
        status = read_signal(sv[0]);
        if (status != 'D')
            fprintf(stderr, "floor: round %d: not every message arrived\n",
                    r);
        usleep(20000);
    }
    waitpid(child, NULL, 0);

    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < n; i++) {
            long long at = arrivals[(size_t)r * (size_t)n + (size_t)i];

            if (at)
                samples[received++] = (double)(at - t0[r]) / 1e6;
        }
    {
        struct percentiles p = percentiles_of(samples, (size_t)received);

        printf("{\"sockets\":%d,\"rounds\":%d,\"expected\":%ld,"
               "\"received\":%ld,\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,"
               "\"max\":%.3f}}\n", n, rounds, (long)n * rounds, received,
               p.p50, p.p99, p.max);
    }
    return 0;
}
