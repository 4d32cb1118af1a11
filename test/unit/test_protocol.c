/* Unit tests for src/realtime/protocol.c: every parse path and encoding. */

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "json_reader.h"
#include "realtime/protocol.h"

static enum protocol_result parse(const char *text, struct protocol_message *m)
{
    return protocol_parse(text, strlen(text), m);
}

static void test_valid(void)
{
    struct protocol_message m;

    CHECK(parse("{\"action\":\"ping\",\"id\":\"8\"}", &m) == PROTOCOL_OK,
          "ping parses");
    CHECK_STR(m.action, "ping", "action read");
    CHECK_STR(m.id, "8", "string id read");
    CHECK(m.has_id, "string id present");
    CHECK(!m.id_is_number, "string id is not a number");

    CHECK(parse(" \n{\"id\":42, \"action\":\"ping\", \"extra\":{\"id\":1}}\n",
                &m) == PROTOCOL_OK,
          "white space and extra members parse");
    CHECK_STR(m.id, "42", "numeric id read");
    CHECK(m.id_is_number, "numeric id flagged");

    CHECK(parse("{\"action\":\"p\\u0069ng\",\"id\":\"a\\\"b\"}", &m) ==
              PROTOCOL_OK,
          "escapes parse");
    CHECK_STR(m.action, "ping", "unicode escape decoded");
    CHECK_STR(m.id, "a\"b", "quote escape decoded");
}

static void check_invalid(const char *text, const char *error, const char *what)
{
    struct protocol_message m;

    CHECK(parse(text, &m) == PROTOCOL_INVALID_JSON, what);
    CHECK_CONTAINS(m.error, error, what);
}

static void test_invalid_json(void)
{
    struct protocol_message m;

    check_invalid("", "empty", "empty message");
    check_invalid("   ", "empty", "blank message");
    check_invalid("hello", "must be a JSON object", "bare word");
    check_invalid("[1,2]", "must be a JSON object", "array");
    check_invalid("\"ping\"", "must be a JSON object", "string");
    check_invalid("{\"action\":\"ping\"", "unexpected end", "unclosed");
    check_invalid("{\"action\":\"ping\",\"id\":1} x", "data after",
                  "trailing data");
    check_invalid("{\"action\":ping}", "invalid JSON", "unquoted value");
    check_invalid("{action:\"ping\"}", "invalid JSON", "unquoted name");
    check_invalid("{\"a\":1,}", "invalid JSON", "trailing comma");
    CHECK(protocol_parse("{\"action\":\"ping\",\"id\":1}", 10, &m) ==
              PROTOCOL_INVALID_JSON,
          "truncated length is invalid");
}

static void check_bad(const char *text, const char *error, const char *id,
                      const char *what)
{
    struct protocol_message m;

    CHECK(parse(text, &m) == PROTOCOL_BAD_REQUEST, what);
    CHECK_CONTAINS(m.error, error, what);
    if (id)
        CHECK_STR(m.id, id, "id kept for the error reply");
    else
        CHECK(!m.has_id, "no id for the error reply");
}

static void test_bad_requests(void)
{
    char long_action[128], long_id[128];

    check_bad("{\"id\":\"1\"}", "missing \"action\"", "1", "no action");
    check_bad("{\"action\":\"ping\"}", "missing \"id\"", NULL, "no id");
    check_bad("{\"action\":1,\"id\":\"2\"}", "\"action\" must be a string", "2",
              "numeric action");
    check_bad("{\"action\":{\"x\":1},\"id\":\"3\"}", "must be a string", "3",
              "object action");
    check_bad("{\"action\":\"ping\",\"id\":[1]}", "\"id\" must be", NULL,
              "array id");
    check_bad("{\"action\":\"ping\",\"id\":true}", "\"id\" must be", NULL,
              "boolean id");
    check_bad("{\"action\":\"ping\",\"id\":1.5}", "\"id\" must be", NULL,
              "fractional id");

    snprintf(long_action, sizeof(long_action),
             "{\"action\":\"%040d\",\"id\":\"4\"}", 0);
    check_bad(long_action, "\"action\" is longer than 31 bytes", "4",
              "long action");
    snprintf(long_id, sizeof(long_id), "{\"action\":\"ping\",\"id\":\"%070d\"}",
             0);
    check_bad(long_id, "\"id\" is longer than 63 bytes", NULL, "long id");
}

static void test_encoding(void)
{
    struct protocol_message m;
    struct buf b;

    buf_init(&b, 0);
    parse("{\"action\":\"ping\",\"id\":\"x\\\"y\"}", &m);
    CHECK(protocol_encode_reply(&b, &m, 200, "pong", NULL) == 0,
          "reply encodes");
    CHECK_STR(buf_data(&b),
              "{\"id\":\"x\\\"y\",\"status\":200,\"body\":"
              "\"pong\"}",
              "reply escapes the id");

    buf_reset(&b);
    parse("{\"action\":\"nope\",\"id\":7}", &m);
    protocol_encode_reply(&b, &m, 400, NULL, "unknown action \"nope\"");
    CHECK_STR(buf_data(&b),
              "{\"id\":7,\"status\":400,\"error\":"
              "\"unknown action \\\"nope\\\"\"}",
              "error reply");

    buf_reset(&b);
    parse("{\"action\":\"ping\"}", &m);
    protocol_encode_reply(&b, &m, 400, NULL, m.error);
    CHECK_CONTAINS(buf_data(&b), "{\"id\":null,", "missing id is null");

    buf_reset(&b);
    protocol_encode_push(&b, "a:b:c", 3, 0, "[]", 2);
    CHECK_STR(buf_data(&b),
              "{\"channel\":\"a:b:c\",\"version\":3,"
              "\"full\":true,\"payload\":[]}",
              "full push");
    buf_reset(&b);
    protocol_encode_push(&b, "a:b:c", 1764860000000001ULL, 3, "[1]", 3);
    CHECK_STR(buf_data(&b),
              "{\"channel\":\"a:b:c\",\"version\":1764860000000001,"
              "\"from\":3,\"payload\":[1]}",
              "diff push names its base version");
    buf_free(&b);
}

static void test_call_route(void)
{
    struct protocol_message m;

    CHECK(parse("{\"action\":\"call-route\",\"id\":\"7\",\"method\":"
                "\"GET\",\"uri\":\"/x?a=1\",\"input\":{\"s\":\"t\","
                "\"n\":12,\"f\":1.5,\"b\":true,\"no\":false,"
                "\"z\":null}}", &m) == PROTOCOL_OK, "call-route parses");
    CHECK_STR(m.method, "GET", "method read");
    CHECK_STR(m.uri, "/x?a=1", "uri read");
    CHECK(m.input_count == 5, "null input member left out");
    CHECK_STR(m.input[0].name, "s", "string input name");
    CHECK_STR(m.input[0].value, "t", "string input value");
    CHECK_STR(m.input[1].value, "12", "integer input as written");
    CHECK_STR(m.input[2].value, "1.5", "number input as written");
    CHECK_STR(m.input[3].value, "true", "true input");
    CHECK_STR(m.input[4].value, "false", "false input");
    protocol_message_free(&m);

    CHECK(parse("{\"action\":\"call-route\",\"id\":1,\"input\":null}",
                &m) == PROTOCOL_OK, "null input is no input");
    CHECK(!m.has_method, "method absent");
    CHECK(!m.has_uri, "uri absent");
    protocol_message_free(&m);
}

static void test_bad_input(void)
{
    static const char *const cases[][2] = {
        {"{\"action\":\"a\",\"id\":1,\"input\":[1]}",
         "\"input\" must be an object"},
        {"{\"action\":\"a\",\"id\":1,\"input\":\"x\"}",
         "\"input\" must be an object"},
        {"{\"action\":\"a\",\"id\":1,\"input\":{\"x\":{}}}",
         "values in \"input\""},
        {"{\"action\":\"a\",\"id\":1,\"input\":{\"x\":[]}}",
         "values in \"input\""},
        {"{\"action\":\"a\",\"id\":1,\"method\":5}",
         "\"method\" must be a string"},
        {"{\"action\":\"a\",\"id\":1,\"uri\":[]}",
         "\"uri\" must be a string"},
        {"{\"action\":\"a\",\"id\":1,\"versions\":{\"c\":\"1\"}}",
         "values in \"versions\" must be integers"},
        {"{\"action\":\"a\",\"id\":1,\"versions\":{\"c\":-1}}",
         "invalid channel or version"},
    };
    struct protocol_message m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(parse(cases[i][0], &m) == PROTOCOL_BAD_REQUEST, cases[i][1]);
        CHECK_CONTAINS(m.error, cases[i][1], cases[i][1]);
        CHECK_STR(m.id, "1", "id kept beside the error");
        protocol_message_free(&m);
    }
}

static void test_many_inputs(void)
{
    struct protocol_message m;
    struct buf b;

    buf_init(&b, 0);
    buf_append_str(&b, "{\"action\":\"a\",\"id\":1,\"input\":{");
    for (int i = 0; i < 17; i++)
        buf_printf(&b, "%s\"k%d\":\"%d\"", i ? "," : "", i, i);
    buf_append_str(&b, "}}");
    CHECK(protocol_parse(buf_data(&b), b.len, &m) == PROTOCOL_BAD_REQUEST,
          "17 input members are too many");
    CHECK_CONTAINS(m.error, "more than 16", "input limit named");
    protocol_message_free(&m);
    buf_free(&b);
}

static void test_id_fidelity(void)
{
    static const char *const bad_ids[] = {"007", "-00", "1e5", "1e-",
                                          "01.5"};
    struct protocol_message m;
    struct buf b;
    char text[96];

    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        snprintf(text, sizeof(text), "{\"action\":\"ping\",\"id\":%s}",
                 bad_ids[i]);
        CHECK(parse(text, &m) != PROTOCOL_OK, text);
        CHECK(!m.has_id, "a number JSON does not allow is no id");
        protocol_message_free(&m);
    }

    CHECK(parse("{\"action\":\"ping\",\"id\":-0}", &m) == PROTOCOL_OK,
          "-0 is a JSON integer");
    protocol_message_free(&m);

    CHECK(parse("{\"action\":\"ping\",\"id\":\"\\ud83d\\ude00\"}", &m) ==
          PROTOCOL_OK, "escaped surrogate pair parses");
    CHECK_STR(m.id, "\xf0\x9f\x98\x80", "surrogate pair joined into UTF-8");
    buf_init(&b, 0);
    protocol_encode_reply(&b, &m, 200, "pong", NULL);
    CHECK_CONTAINS(buf_data(&b), "\"id\":\"\xf0\x9f\x98\x80\"",
                   "reply echoes the emoji");
    buf_free(&b);
    protocol_message_free(&m);

    CHECK(parse("{\"action\":\"ping\",\"id\":\"a\\u0000b\"}", &m) ==
          PROTOCOL_BAD_REQUEST, "NUL in a string is rejected");
    CHECK_CONTAINS(m.error, "U+0000", "error names U+0000");
    protocol_message_free(&m);

    CHECK(parse("{\"action\":\"ping\",\"id\":"
                "1111111111111111111111111111111111111111}", &m) ==
          PROTOCOL_BAD_REQUEST, "a number too long for LEJP is a 400");
    CHECK_CONTAINS(m.error, "longer than 24 digits", "error says too long");
    protocol_message_free(&m);

    CHECK(parse("{\"action\":\"ping\",\"id\":\"1111111111111111111111111111111"
                "11111111111\\\"\"}", &m) == PROTOCOL_OK,
          "long digit runs inside strings are fine");
    protocol_message_free(&m);
}

static void test_versions(void)
{
    struct protocol_message m;

    CHECK(parse("{\"action\":\"catch-up\",\"id\":\"c\",\"versions\":"
                "{\"a:b:c\":1796402708403404,\"d:e:f\":0}}", &m) ==
          PROTOCOL_OK, "catch-up parses");
    CHECK(m.has_versions, "versions present");
    CHECK(m.version_count == 2, "two versions read");
    CHECK_STR(m.versions[0].channel, "a:b:c", "channel read");
    CHECK(m.versions[0].version == 1796402708403404ULL,
          "large version read exactly");
    CHECK(m.versions[1].version == 0, "zero version read");
    protocol_message_free(&m);
}

static void test_route_reply(void)
{
    struct buf b;

    buf_init(&b, 0);
    protocol_encode_route_reply(&b, "7", 0, 404, "text/html", "<p>\"x\"\n",
                                strlen("<p>\"x\"\n"));
    CHECK_STR(buf_data(&b), "{\"id\":\"7\",\"status\":404,\"headers\":"
              "{\"content-type\":\"text/html\"},\"body\":"
              "\"<p>\\\"x\\\"\\n\"}", "route reply encodes");
    buf_reset(&b);
    protocol_encode_route_reply(&b, "12", 1, 200, "text/plain", "", 0);
    CHECK_CONTAINS(buf_data(&b), "{\"id\":12,", "numeric id stays a number");
    buf_free(&b);
}

int main(void)
{
    test_call_route();
    test_bad_input();
    test_many_inputs();
    test_versions();
    test_id_fidelity();
    test_route_reply();
    test_valid();
    test_invalid_json();
    test_bad_requests();
    test_encoding();
    return check_finish();
}
