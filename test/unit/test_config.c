/* Unit tests for src/config.c: options, defaults, Redis URLs, errors. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

/* Output of the last parse. */
static char out_text[4096], err_text[4096];

static enum config_result parse(struct config *cfg, const char *const *args)
{
    char *argv[16];
    int argc = 0;
    FILE *out = fmemopen(out_text, sizeof(out_text), "w");
    FILE *err = fmemopen(err_text, sizeof(err_text), "w");
    enum config_result r;

    memset(out_text, 0, sizeof(out_text));
    memset(err_text, 0, sizeof(err_text));
    argv[argc++] = (char *)"ringserver";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    r = config_parse(cfg, argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r;
}

static void test_defaults(void)
{
    struct config cfg;
    const char *args[] = {NULL};

    unsetenv("REDIS_URL");
    CHECK(parse(&cfg, args) == CONFIG_OK, "no options parse");
    CHECK(cfg.port == 3000, "port defaults to 3000");
    CHECK_STR(cfg.host, "127.0.0.1", "host defaults to 127.0.0.1");
    CHECK_STR(cfg.redis_url, "redis://127.0.0.1:6379", "redis default");
    CHECK_STR(cfg.redis.host, "127.0.0.1", "default redis host");
    CHECK(cfg.redis.port == 6379, "default redis port");
    CHECK(cfg.redis.db == 0, "default redis db");
    CHECK(cfg.presence_ttl == 15, "presence ttl defaults to 15 s");
    CHECK_CONTAINS(cfg.templates_dir, "/templates", "templates beside source");
    CHECK_CONTAINS(cfg.static_dir, "/static", "static beside source");

    setenv("REDIS_URL", "redis://10.1.2.3:7000/4", 1);
    CHECK(parse(&cfg, args) == CONFIG_OK, "REDIS_URL parses");
    CHECK_STR(cfg.redis.host, "10.1.2.3", "REDIS_URL sets the host");
    CHECK(cfg.redis.port == 7000, "REDIS_URL sets the port");
    CHECK(cfg.redis.db == 4, "REDIS_URL sets the db");
    unsetenv("REDIS_URL");
}

static void test_options(void)
{
    struct config cfg;
    const char *args[] = {"--port",
                          "8080",
                          "--host",
                          "0.0.0.0",
                          "--redis",
                          "unix:///run/redis.sock",
                          "--templates",
                          "/t",
                          "--static",
                          "/tmp",
                          "--log-level",
                          "debug",
                          "--presence-ttl",
                          "30",
                          NULL};

    CHECK(parse(&cfg, args) == CONFIG_OK, "every option parses");
    CHECK(cfg.port == 8080, "--port");
    CHECK_STR(cfg.host, "0.0.0.0", "--host");
    CHECK(cfg.redis.is_unix, "unix:// URL is a Unix socket");
    CHECK_STR(cfg.redis.path, "/run/redis.sock", "unix socket path");
    CHECK_STR(cfg.templates_dir, "/t", "--templates");
    CHECK_STR(cfg.static_dir, "/tmp", "--static");
    CHECK(cfg.presence_ttl == 30, "--presence-ttl");
}

static void check_rejected(const char *const *args, const char *message,
                           const char *what)
{
    struct config cfg;

    CHECK(parse(&cfg, args) == CONFIG_ERROR, what);
    CHECK_CONTAINS(err_text, message, what);
    CHECK_CONTAINS(err_text, "usage: ringserver", "usage follows the error");
}

static void test_errors(void)
{
    const char *unknown[] = {"--colour", NULL};
    const char *missing[] = {"--port", NULL};
    const char *word[] = {"--port", "abc", NULL};
    const char *zero[] = {"--port", "0", NULL};
    const char *big[] = {"--port", "70000", NULL};
    const char *trailing[] = {"--port", "80x", NULL};
    const char *scheme[] = {"--redis", "ftp://x", NULL};
    const char *no_host[] = {"--redis", "redis://:6379", NULL};
    const char *bad_port[] = {"--redis", "redis://h:abc", NULL};
    const char *bad_db[] = {"--redis", "redis://h:1/x", NULL};
    const char *relative[] = {"--redis", "unix://run/s", NULL};
    const char *level[] = {"--log-level", "loud", NULL};
    const char *ttl[] = {"--presence-ttl", "1", NULL};
    const char *extra[] = {"serve", NULL};
    const char *empty[] = {"--host", "", NULL};
    const char *no_folder[] = {"--static", "/nonexistent/static", NULL};

    check_rejected(unknown, "unknown option '--colour'", "unknown option");
    check_rejected(missing, "needs a value", "option without value");
    check_rejected(word, "invalid value 'abc' for --port", "word as port");
    check_rejected(zero, "for --port", "port 0");
    check_rejected(big, "for --port", "port above 65535");
    check_rejected(trailing, "for --port", "port with trailing text");
    check_rejected(scheme, "invalid Redis URL 'ftp://x'", "ftp scheme");
    check_rejected(no_host, "invalid Redis URL", "URL without host");
    check_rejected(bad_port, "invalid Redis URL", "URL with bad port");
    check_rejected(bad_db, "invalid Redis URL", "URL with bad db");
    check_rejected(relative, "invalid Redis URL", "relative unix path");
    check_rejected(level, "for --log-level", "unknown log level");
    check_rejected(ttl, "for --presence-ttl", "ttl below 2 s");
    check_rejected(extra, "unexpected argument 'serve'", "positional arg");
    check_rejected(empty, "for --host", "empty host");
    check_rejected(no_folder, "for --static: it is not a folder",
                   "missing static folder");
}

static void test_help_and_version(void)
{
    struct config cfg;
    const char *help[] = {"--help", NULL};
    const char *version[] = {"--version", NULL};

    CHECK(parse(&cfg, help) == CONFIG_EXIT, "--help exits");
    CHECK_CONTAINS(out_text, "--redis URL", "help lists --redis");
    CHECK_CONTAINS(out_text, "--presence-ttl", "help lists --presence-ttl");
    CHECK(err_text[0] == '\0', "help writes nothing to stderr");
    CHECK(parse(&cfg, version) == CONFIG_EXIT, "--version exits");
    CHECK_CONTAINS(out_text, "ringserver " RING_VERSION, "version printed");
}

static void test_redis_urls(void)
{
    struct redis_address addr;

    CHECK(config_parse_redis_url(&addr, "redis://example") == 0,
          "host alone parses");
    CHECK(addr.port == 6379, "port defaults to 6379");
    CHECK(config_parse_redis_url(&addr, "redis://h:6380/") == 0,
          "trailing slash parses");
    CHECK(addr.port == 6380, "port before a trailing slash");
    CHECK(addr.db == 0, "trailing slash keeps db 0");
    CHECK(config_parse_redis_url(&addr, "redis://user@h:1") != 0,
          "credentials are rejected");
    CHECK(config_parse_redis_url(&addr, "redis://h:0") != 0,
          "port 0 is rejected");
    CHECK(config_parse_redis_url(&addr, "unix://") != 0,
          "empty unix path is rejected");
}

int main(void)
{
    test_defaults();
    test_options();
    test_errors();
    test_help_and_version();
    test_redis_urls();
    return check_finish();
}
