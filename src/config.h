#ifndef RING_CONFIG_H
#define RING_CONFIG_H

#include <stdio.h>

/* How to reach Redis: over TCP (host, port, db) or over a Unix socket. */
struct redis_address {
    int is_unix;
    char host[256];
    int port;
    int db;
    char path[256];
};

#define CONFIG_MAX_ORIGINS 16

/* Settings from the command line and environment; filled by config_parse. */
struct config {
    int port;
    char host[256];
    char redis_url[512];
    struct redis_address redis;
    char templates_dir[1024];
    char static_dir[1024];
    int log_level;        /* lws log mask */
    int presence_ttl;     /* seconds */
    int idle_timeout;     /* seconds */
    char secret_file[1024];               /* "" when none */
    char allow_origins[CONFIG_MAX_ORIGINS][256];
    int allow_origin_count;
    int show_help;
    int show_version;
};

enum config_result { CONFIG_OK, CONFIG_EXIT, CONFIG_ERROR };

/*
 * Fills cfg from argv and the environment (REDIS_URL). Returns CONFIG_OK,
 * CONFIG_EXIT after --help or --version (printed to out), or CONFIG_ERROR
 * with the problem and the usage printed to err.
 */
enum config_result config_parse(struct config *cfg, int argc, char **argv,
                                FILE *out, FILE *err);

/* Parses redis://host:port[/db] or unix:///path. Returns 0 or -1. */
int config_parse_redis_url(struct redis_address *addr, const char *url);

void config_print_usage(FILE *f);

#endif
