#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <libwebsockets.h>

#define DEFAULT_REDIS_URL "redis://127.0.0.1:6379"

static const struct option long_options[] = {
    {"port", required_argument, NULL, 'p'},
    {"host", required_argument, NULL, 'H'},
    {"redis", required_argument, NULL, 'r'},
    {"templates", required_argument, NULL, 't'},
    {"static", required_argument, NULL, 's'},
    {"log-level", required_argument, NULL, 'l'},
    {"presence-ttl", required_argument, NULL, 'T'},
    {"idle-timeout", required_argument, NULL, 'i'},
    {"secret-file", required_argument, NULL, 'S'},
    {"allow-origin", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

void config_print_usage(FILE *f)
{
    fputs("usage: ringserver [options]\n"
          "  --port N             TCP port to listen on (default 3000)\n"
          "  --host ADDR          address to listen on (default 127.0.0.1)\n"
          "  --redis URL          redis://host:port[/db] or unix:///path\n"
          "                       (default $REDIS_URL or " DEFAULT_REDIS_URL
          ")\n"
          "  --templates DIR      folder with layouts/default.html and "
          "index.html\n"
          "  --static DIR         folder served under /static/\n"
          "  --log-level LEVEL    error, warn, notice, info or debug "
          "(default notice)\n"
          "  --presence-ttl SECS  how long Redis keeps this process's viewers\n"
          "                       after it stops refreshing them (default 15)\n"
          "  --idle-timeout SECS  drop a WebSocket that answers no ping for\n"
          "                       this long (default 60)\n"
          "  --secret-file PATH   key that signs page tokens (default\n"
          "                       $RINGSERVER_SECRET_FILE, else a random key\n"
          "                       shared through Redis)\n"
          "  --allow-origin URL   also accept WebSockets from this origin,\n"
          "                       e.g. https://example.com (repeatable)\n"
          "  --help               print this help and exit\n"
          "  --version            print the version and exit\n",
          f);
}

/* Parses a decimal integer in [min, max]. Returns 0 or -1. */
static int parse_int(const char *s, long min, long max, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int copy_string(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static int parse_redis_tcp(struct redis_address *addr, const char *rest)
{
    const char *colon, *slash, *host_end;
    size_t host_len;

    slash = strchr(rest, '/');
    colon = strrchr(rest, ':');
    if (colon && slash && colon > slash)
        colon = NULL;
    host_end = colon ? colon : (slash ? slash : rest + strlen(rest));
    host_len = (size_t)(host_end - rest);
    if (host_len == 0 || host_len >= sizeof(addr->host) || memchr(rest, '@',
                                                                 host_len))
        return -1;
    memcpy(addr->host, rest, host_len);
    addr->host[host_len] = '\0';

    addr->port = 6379;
    if (colon) {
        char port[8];
        size_t n = (size_t)((slash ? slash : colon + strlen(colon)) - colon - 1);
        if (n == 0 || n >= sizeof(port))
            return -1;
        memcpy(port, colon + 1, n);
        port[n] = '\0';
        if (parse_int(port, 1, 65535, &addr->port))
            return -1;
    }

    addr->db = 0;
    if (slash && slash[1] && parse_int(slash + 1, 0, INT_MAX, &addr->db))
        return -1;
    return 0;
}

int config_parse_redis_url(struct redis_address *addr, const char *url)
{
    memset(addr, 0, sizeof(*addr));
    if (!strncmp(url, "redis://", 8))
        return parse_redis_tcp(addr, url + 8);
    if (!strncmp(url, "unix://", 7)) {
        addr->is_unix = 1;
        if (url[7] != '/')
            return -1;
        return copy_string(addr->path, sizeof(addr->path), url + 7);
    }
    return -1;
}

static int parse_log_level(const char *s, int *mask)
{
    static const struct {
        const char *name;
        int mask;
    } levels[] = {
        {"error", LLL_ERR},
        {"warn", LLL_ERR | LLL_WARN},
        {"notice", LLL_ERR | LLL_WARN | LLL_NOTICE},
        {"info", LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO},
        {"debug", LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO | LLL_DEBUG},
    };

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (!strcmp(s, levels[i].name)) {
            *mask = levels[i].mask;
            return 0;
        }
    }
    return -1;
}

static void config_defaults(struct config *cfg)
{
    const char *env = getenv("REDIS_URL");
    const char *secret = getenv("RINGSERVER_SECRET_FILE");

    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 3000;
    strcpy(cfg->host, "127.0.0.1");
    snprintf(cfg->redis_url, sizeof(cfg->redis_url), "%s",
             env && *env ? env : DEFAULT_REDIS_URL);
    snprintf(cfg->templates_dir, sizeof(cfg->templates_dir), "%s",
             RING_SOURCE_DIR "/templates");
    snprintf(cfg->static_dir, sizeof(cfg->static_dir), "%s",
             RING_SOURCE_DIR "/static");
    cfg->log_level = LLL_ERR | LLL_WARN | LLL_NOTICE;
    cfg->presence_ttl = 15;
    cfg->idle_timeout = 60;
    if (secret && *secret)
        snprintf(cfg->secret_file, sizeof(cfg->secret_file), "%s", secret);
}

/* Accepts scheme://host[:port] with no path, as browsers send in Origin. */
static const char *add_origin(struct config *cfg, const char *origin)
{
    const char *host = strstr(origin, "://");

    if (cfg->allow_origin_count == CONFIG_MAX_ORIGINS)
        return "is one too many (at most 16 origins)";
    if (!host || host == origin || !host[3] || strchr(host + 3, '/') ||
        strlen(origin) >= sizeof(cfg->allow_origins[0]))
        return "must be an origin like https://example.com:8443";
    strcpy(cfg->allow_origins[cfg->allow_origin_count++], origin);
    return NULL;
}

/* Applies one option. Returns NULL, or what is wrong with its value. */
static const char *config_apply(struct config *cfg, int opt, const char *arg)
{
    switch (opt) {
    case 'p':
        return parse_int(arg, 1, 65535, &cfg->port)
                   ? "must be a port number from 1 to 65535" : NULL;
    case 'H':
        return copy_string(cfg->host, sizeof(cfg->host), arg)
                   ? "must be a non-empty address" : NULL;
    case 'r':
        return copy_string(cfg->redis_url, sizeof(cfg->redis_url), arg)
                   ? "must be a non-empty URL" : NULL;
    case 't':
        return copy_string(cfg->templates_dir, sizeof(cfg->templates_dir),
                           arg) ? "must be a folder path" : NULL;
    case 's':
        return copy_string(cfg->static_dir, sizeof(cfg->static_dir), arg)
                   ? "must be a folder path" : NULL;
    case 'l':
        return parse_log_level(arg, &cfg->log_level)
                   ? "must be error, warn, notice, info or debug" : NULL;
    case 'T':
        return parse_int(arg, 2, 86400, &cfg->presence_ttl)
                   ? "must be a number of seconds from 2 to 86400" : NULL;
    case 'i':
        return parse_int(arg, 2, 86400, &cfg->idle_timeout)
                   ? "must be a number of seconds from 2 to 86400" : NULL;
    case 'S':
        return copy_string(cfg->secret_file, sizeof(cfg->secret_file), arg)
                   ? "must be a file path" : NULL;
    case 'o':
        return add_origin(cfg, arg);
    }
    return "is not supported";
}

static enum config_result config_fail(FILE *err, const char *message)
{
    fprintf(err, "ringserver: %s\n", message);
    config_print_usage(err);
    return CONFIG_ERROR;
}

static int is_folder(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads the options. Returns 0, or -1 with the problem in message. */
static int config_read_options(struct config *cfg, int argc, char **argv,
                               char *message, size_t size)
{
    int opt, index = 0;
    const char *problem;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", long_options, &index)) != -1) {
        if (opt == '?' || opt == ':') {
            snprintf(message, size, opt == '?' ? "unknown option '%s'"
                                               : "option '%s' needs a value",
                     argv[optind - 1]);
            return -1;
        }
        if (opt == 'h') {
            cfg->show_help = 1;
        } else if (opt == 'V') {
            cfg->show_version = 1;
        } else if ((problem = config_apply(cfg, opt, optarg))) {
            snprintf(message, size, "invalid value '%s' for --%s: it %s",
                     optarg, long_options[index].name, problem);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(message, size, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return 0;
}

enum config_result config_parse(struct config *cfg, int argc, char **argv,
                                FILE *out, FILE *err)
{
    char message[1200];

    config_defaults(cfg);
    if (config_read_options(cfg, argc, argv, message, sizeof(message)))
        return config_fail(err, message);
    if (!is_folder(cfg->static_dir)) {
        snprintf(message, sizeof(message),
                 "invalid value '%s' for --static: it is not a folder",
                 cfg->static_dir);
        return config_fail(err, message);
    }
    if (config_parse_redis_url(&cfg->redis, cfg->redis_url)) {
        snprintf(message, sizeof(message),
                 "invalid Redis URL '%s': expected redis://host:port[/db] "
                 "or unix:///path", cfg->redis_url);
        return config_fail(err, message);
    }
    if (cfg->show_help) {
        config_print_usage(out);
        return CONFIG_EXIT;
    }
    if (cfg->show_version) {
        fprintf(out, "ringserver %s\n", RING_VERSION);
        return CONFIG_EXIT;
    }
    return CONFIG_OK;
}
