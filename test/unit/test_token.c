/* Unit tests for src/realtime/token.c: signing, every rejection, keys. */

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "realtime/token.h"

#define NOW 1800000000LL

static void make_keys(struct token_keys *keys, const char *secret)
{
    struct token_key key;

    memset(keys, 0, sizeof(*keys));
    token_key_set(&key, secret, strlen(secret));
    token_keys_rotate(keys, &key);
}

static void sign(const struct token_keys *keys, long long expires,
                 struct buf *out)
{
    struct token t;

    memset(&t, 0, sizeof(t));
    t.expires = expires;
    t.count = 2;
    strcpy(t.channels[0].name, "stats:for_default_post:post");
    t.channels[0].version = 1796402708403404ULL;
    strcpy(t.channels[1].name, "a:b:c");
    t.channels[1].version = 7;
    buf_init(out, 0);
    token_sign(keys, &t, out);
}

static void test_round_trip(void)
{
    struct token_keys keys;
    struct token t;
    struct buf text;

    make_keys(&keys, "0123456789abcdef0123456789abcdef");
    sign(&keys, NOW + 60, &text);
    CHECK_CONTAINS(buf_data(&text), "1.", "token starts with its format");
    CHECK_CONTAINS(buf_data(&text), keys.current.id, "token names its key");
    CHECK(token_verify(&keys, buf_data(&text), NOW, &t) == TOKEN_OK,
          "signed token verifies");
    CHECK(t.count == 2, "both channels read back");
    CHECK_STR(t.channels[0].name, "stats:for_default_post:post",
              "channel name read back");
    CHECK(t.channels[0].version == 1796402708403404ULL,
          "large version read back exactly");
    CHECK(t.channels[1].version == 7, "second version read back");
    CHECK(t.expires == NOW + 60, "expiry read back");
    buf_free(&text);
}

/* Replaces the character at `index` of the token with `c` and verifies. */
static enum token_result verify_changed(const struct token_keys *keys,
                                        const char *token, size_t index,
                                        char c)
{
    char copy[1024];
    struct token t;

    snprintf(copy, sizeof(copy), "%s", token);
    copy[index] = copy[index] == c ? (char)(c + 1) : c;
    return token_verify(keys, copy, NOW, &t);
}

static void test_tampering(void)
{
    struct token_keys keys;
    struct buf text;
    const char *token, *at;
    size_t len;

    make_keys(&keys, "0123456789abcdef0123456789abcdef");
    sign(&keys, NOW + 60, &text);
    token = buf_data(&text);
    len = strlen(token);
    at = strchr(token, '@');

    CHECK(verify_changed(&keys, token, len - 1, '0') == TOKEN_TAMPERED,
          "changed signature is tampered");
    CHECK(verify_changed(&keys, token, (size_t)(at - token) + 1, '9') ==
          TOKEN_TAMPERED, "changed version is tampered");
    CHECK(verify_changed(&keys, token, 12, '9') == TOKEN_TAMPERED,
          "changed expiry is tampered");
    CHECK(verify_changed(&keys, token, (size_t)(at - token) - 1, 'x') ==
          TOKEN_TAMPERED, "changed channel is tampered");
    CHECK(verify_changed(&keys, token, 2, 'z') == TOKEN_FOREIGN,
          "changed key id is foreign");
    buf_free(&text);
}

static void test_expiry_and_keys(void)
{
    struct token_keys keys, other;
    struct token_key next;
    struct buf text;
    struct token t;

    make_keys(&keys, "0123456789abcdef0123456789abcdef");
    make_keys(&other, "another secret of enough length!");
    sign(&keys, NOW - 1, &text);
    CHECK(token_verify(&keys, buf_data(&text), NOW, &t) == TOKEN_EXPIRED,
          "token past its expiry is expired");
    buf_free(&text);

    sign(&keys, NOW + 60, &text);
    CHECK(token_verify(&other, buf_data(&text), NOW, &t) == TOKEN_FOREIGN,
          "token of another key is foreign");

    token_key_set(&next, "a third secret, after a rotation", 32);
    token_keys_rotate(&keys, &next);
    CHECK(token_verify(&keys, buf_data(&text), NOW, &t) == TOKEN_OK,
          "previous key still verifies after a rotation");
    token_keys_rotate(&keys, &other.current);
    CHECK(token_verify(&keys, buf_data(&text), NOW, &t) == TOKEN_FOREIGN,
          "a key two rotations old no longer verifies");
    buf_free(&text);
}

static void test_malformed(void)
{
    /* A 7-digit key id, with a signature of the right length. */
    static const char short_key_id[] =
        "1.0000000.1800000000.a@1."
        "0000000000000000000000000000000000000000000000000000000000000000";
    static const char *const inputs[] = {
        "", "1", "x", "1.", "2.00000000.1.a@1.", "1.abc", short_key_id,
    };
    struct token_keys keys;
    struct token t;
    char label[96];

    make_keys(&keys, "0123456789abcdef0123456789abcdef");
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        snprintf(label, sizeof(label), "\"%.40s\" is malformed", inputs[i]);
        CHECK(token_verify(&keys, inputs[i], NOW, &t) == TOKEN_MALFORMED,
              label);
    }
    CHECK_STR(token_result_text(TOKEN_EXPIRED), "token expired",
              "result text for expired");
}

int main(void)
{
    test_round_trip();
    test_tampering();
    test_expiry_and_keys();
    test_malformed();
    return check_finish();
}
