/* Unit tests for src/util/buf.c: growth, HTML escaping, JSON strings. */

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "json_reader.h"
#include "util/buf.h"

static void test_append_and_headroom(void)
{
    struct buf b;
    char chunk[100];
    int ok = 1;

    buf_init(&b, 16);
    CHECK_STR(buf_data(&b), "", "empty buffer reads as empty string");
    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 50; i++)
        ok = ok && buf_append(&b, chunk, sizeof(chunk)) == 0;
    CHECK(ok, "append 5000 bytes succeeds");
    CHECK(b.len == 5000, "length counts every appended byte");
    CHECK(buf_data(&b) == b.mem + 16, "data starts after the headroom");
    CHECK(buf_data(&b)[5000] == '\0', "data is NUL-terminated");
    CHECK(b.cap >= b.headroom + b.len + 1, "capacity covers headroom + data");

    buf_reset(&b);
    CHECK(b.len == 0, "reset sets the length to 0");
    CHECK(buf_data(&b)[0] == '\0', "reset leaves an empty string");
    CHECK(buf_printf(&b, "%s=%d", "total", 12) == 0, "printf succeeds");
    CHECK_STR(buf_data(&b), "total=12", "printf formats into the buffer");
    buf_free(&b);
    CHECK(b.mem == NULL, "free releases the memory");
    CHECK(b.len == 0, "free sets the length to 0");
}

static void check_html(const char *input, const char *expected,
                       const char *label)
{
    struct buf b;

    buf_init(&b, 0);
    CHECK(buf_append_html(&b, input, strlen(input)) == 0, label);
    CHECK_STR(buf_data(&b), expected, label);
    buf_free(&b);
}

static void test_html_escaping(void)
{
    check_html("plain text 123", "plain text 123", "html: plain text kept");
    check_html("", "", "html: empty string");
    check_html("<", "&lt;", "html: less-than");
    check_html(">", "&gt;", "html: greater-than");
    check_html("&", "&amp;", "html: ampersand");
    check_html("\"", "&quot;", "html: double quote");
    check_html("'", "&#39;", "html: single quote");
    check_html("<script>alert(\"x\" & 'y')</script>",
               "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)"
               "&lt;/script&gt;",
               "html: markup becomes text");
    check_html("&amp;", "&amp;amp;", "html: a reference is escaped again");
    check_html("naïve ✓ 😀", "naïve ✓ 😀", "html: UTF-8 kept as bytes");
}

static void test_html_appends(void)
{
    struct buf b;

    buf_init(&b, 0);
    buf_append_str(&b, "before:");
    buf_append_html(&b, "a<b", 2);
    CHECK_STR(buf_data(&b), "before:a&lt;", "html: appends only len bytes");
    buf_free(&b);
}

/* Encodes `input` (length bytes) and compares with the expected JSON. */
static void check_json(const char *input, size_t length, const char *expected,
                       const char *label)
{
    struct buf b;

    buf_init(&b, 0);
    CHECK(buf_append_json_string(&b, input, length) == 0, label);
    CHECK_STR(buf_data(&b), expected, label);
    buf_free(&b);
}

static void test_json_escaping(void)
{
    check_json("abc", 3, "\"abc\"", "json: plain string");
    check_json("", 0, "\"\"", "json: empty string");
    check_json("say \"hi\"", 8, "\"say \\\"hi\\\"\"", "json: double quotes");
    check_json("a\\b", 3, "\"a\\\\b\"", "json: backslash");
    check_json("a/b", 3, "\"a/b\"", "json: slash needs no escape");
    check_json("\n\r\t", 3, "\"\\n\\r\\t\"",
               "json: newline, return and tab use short escapes");
    check_json("\x01\x1f", 2, "\"\\u0001\\u001f\"",
               "json: other control characters escaped");
    check_json("\x7f", 1, "\"\\u007f\"", "json: DEL escaped");
    check_json("a\0b", 3, "\"a\\u0000b\"", "json: NUL byte escaped");
    check_json("é✓😀", strlen("é✓😀"), "\"é✓😀\"",
               "json: valid UTF-8 kept as bytes");
}

static void test_json_invalid_utf8(void)
{
    check_json("a\xff"
               "b",
               3, "\"a\\ufffdb\"", "json: byte 0xff becomes U+FFFD");
    check_json("\x80", 1, "\"\\ufffd\"",
               "json: lone continuation byte becomes U+FFFD");
    check_json("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"",
               "json: overlong encoding becomes U+FFFD per byte");
    check_json("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"",
               "json: encoded surrogate becomes U+FFFD per byte");
    check_json("\xe2\x9c", 2, "\"\\ufffd\\ufffd\"",
               "json: sequence cut short at the end");
    check_json("\xe2\x9cx", 3, "\"\\ufffd\\ufffdx\"",
               "json: sequence cut short by ASCII");
    check_json("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
               "json: code point above U+10FFFF becomes U+FFFD");
}

/* Encodes every byte value and decodes the result with the test's own
 * reader: the JSON must be valid and decode to valid UTF-8. */
static void test_json_round_trip(void)
{
    char all[256];
    struct buf encoded, decoded;

    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    buf_init(&encoded, 0);
    buf_init(&decoded, 0);
    buf_append_json_string(&encoded, all, sizeof(all));
    CHECK(json_read_string(buf_data(&encoded), &decoded) == 0,
          "json: every byte value gives valid JSON");
    CHECK(json_utf8_valid(buf_data(&decoded), decoded.len),
          "json: decoded text is valid UTF-8");
    CHECK(decoded.len == 128 + 128 * strlen("\xef\xbf\xbd"),
          "json: ASCII kept, each other byte one U+FFFD");
    CHECK(memcmp(buf_data(&decoded), all, 128) == 0,
          "json: ASCII bytes decode to themselves");

    buf_reset(&encoded);
    buf_reset(&decoded);
    buf_append_json_string(&encoded, "q\"\\\n é✓😀", strlen("q\"\\\n é✓😀"));
    CHECK(json_read_string(buf_data(&encoded), &decoded) == 0,
          "json: mixed text gives valid JSON");
    CHECK_STR(buf_data(&decoded), "q\"\\\n é✓😀",
              "json: mixed text decodes to the input");
    buf_free(&encoded);
    buf_free(&decoded);
}

/* The round-trip checks rely on the reader rejecting what is not JSON. */
static void test_json_reader_rejects(void)
{
    static const char *const invalid[] = {
        "\"unterminated", "\"raw\ncontrol\"", "\"bad \\x escape\"",
        "\"\\ud800\"",    "\"\\udc00\"",      "\"\xff\"",
        "\"a\" trailing", "'single'",         "\"\\u12\"",
    };
    struct buf out;

    buf_init(&out, 0);
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        char label[96];

        snprintf(label, sizeof(label), "json reader rejects invalid case %zu",
                 i);
        CHECK(json_read_string(invalid[i], &out) == -1, label);
    }
    buf_reset(&out);
    CHECK(json_read_string("\"\\ud83d\\ude00\"", &out) == 0,
          "json reader accepts a surrogate pair");
    CHECK_STR(buf_data(&out), "😀", "json reader joins a surrogate pair");
    buf_free(&out);
}

int main(void)
{
    test_append_and_headroom();
    test_html_escaping();
    test_html_appends();
    test_json_escaping();
    test_json_invalid_utf8();
    test_json_round_trip();
    test_json_reader_rejects();
    return check_finish();
}
