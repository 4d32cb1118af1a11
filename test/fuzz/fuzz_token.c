/*
 * Fuzz target for page tokens, with two fixed keys (current and previous).
 * The first input byte picks a mode:
 *   0: token_verify() on the rest as text;
 *   1: the rest is a payload after "1.KEYID.", signed here with the current
 *      key, so that the checks after the signature see arbitrary text;
 *   2: the rest describes a struct token, which is signed with token_sign()
 *      and must verify with the same fields.
 * Whatever verifies is signed again and must verify with the same fields.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz_common.h"
#include "realtime/token.h"

/* A fixed "now" keeps runs reproducible: 2023-11-14T22:13:20Z. */
#define FUZZ_NOW 1700000000LL

static const char current_secret[] = "fuzz-current-key-0123456789abcdef";
static const char previous_secret[] = "fuzz-previous-key-0123456789abcde";

static struct token_keys keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct token_key key;

    (void)argc;
    (void)argv;
    if (token_key_set(&key, previous_secret, sizeof(previous_secret) - 1))
        abort();
    token_keys_rotate(&keys, &key);
    if (token_key_set(&key, current_secret, sizeof(current_secret) - 1))
        abort();
    token_keys_rotate(&keys, &key);
    if (!keys.has_current || !keys.has_previous)
        abort();
    return 0;
}

/* Consumes up to n bytes of *data as a little-endian integer. */
static uint64_t take_u64(const uint8_t **data, size_t *size, size_t n)
{
    uint64_t value = 0;

    for (size_t i = 0; i < n && *size; i++) {
        value |= (uint64_t) * *data << (8 * i);
        (*data)++;
        (*size)--;
    }
    return value;
}

static int same_token(const struct token *a, const struct token *b)
{
    if (a->expires != b->expires || a->count != b->count)
        return 0;
    for (int i = 0; i < a->count; i++)
        if (strcmp(a->channels[i].name, b->channels[i].name) ||
            a->channels[i].version != b->channels[i].version)
            return 0;
    return 1;
}

/* Checks the fields of a token that verified. */
static void check_verified(const struct token *t, enum token_result result)
{
    FUZZ_CHECK(t->count >= 1 && t->count <= TOKEN_MAX_CHANNELS, "count %d",
               t->count);
    for (int i = 0; i < t->count; i++) {
        const char *name = t->channels[i].name;

        FUZZ_CHECK(memchr(name, '\0', sizeof(t->channels[i].name)),
                   "channel %d not NUL-terminated", i);
        FUZZ_CHECK(name[0] && !strchr(name, ','), "channel %d \"%s\"", i, name);
    }
    FUZZ_CHECK((result == TOKEN_EXPIRED) == (t->expires < FUZZ_NOW),
               "result %d for expires %lld", (int)result, t->expires);
}

/* Signs t and verifies the text: the fields must come back unchanged. */
static void check_round_trip(const struct token *t)
{
    struct buf text;
    struct token back;
    enum token_result result;

    buf_init(&text, 0);
    for (int i = 0; i < t->count; i++) {
        if (!t->channels[i].name[0] || strchr(t->channels[i].name, ',')) {
            FUZZ_CHECK(token_sign(&keys, t, &text) != 0,
                       "token_sign took channel \"%s\"", t->channels[i].name);
            buf_free(&text);
            return;
        }
    }
    FUZZ_CHECK(token_sign(&keys, t, &text) == 0, "token_sign failed");
    result = token_verify(&keys, buf_data(&text), FUZZ_NOW, &back);
    FUZZ_CHECK(result == TOKEN_OK || result == TOKEN_EXPIRED,
               "signed token %s: %s", buf_data(&text),
               token_result_text(result));
    FUZZ_CHECK(same_token(t, &back), "signed token %s verifies as other fields",
               buf_data(&text));
    check_verified(&back, result);
    buf_free(&text);
}

static enum token_result verify_text(const char *text, struct token *out)
{
    enum token_result result = token_verify(&keys, text, FUZZ_NOW, out);

    FUZZ_CHECK(result >= TOKEN_OK && result <= TOKEN_EXPIRED, "result %d",
               (int)result);
    FUZZ_CHECK(token_result_text(result)[0], "empty result text");
    return result;
}

static void fuzz_verify(const uint8_t *data, size_t size)
{
    char *text = strndup((const char *)data, size);
    struct token t;
    enum token_result result;

    if (!text)
        return;
    result = verify_text(text, &t);
    if (result == TOKEN_OK || result == TOKEN_EXPIRED) {
        check_verified(&t, result);
        check_round_trip(&t);
    }
    free(text);
}

/* Signs "1.KEYID.PAYLOAD" with the current key as token_sign would. */
static void fuzz_signed_payload(const uint8_t *data, size_t size)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    struct buf text;
    struct token t;
    enum token_result result;
    size_t payload_len = strnlen((const char *)data, size);

    buf_init(&text, 0);
    FUZZ_CHECK(buf_printf(&text, "1.%s.", keys.current.id) == 0 &&
                   buf_append(&text, data, payload_len) == 0,
               "out of memory");
    FUZZ_CHECK(HMAC(EVP_sha256(), keys.current.secret, (int)keys.current.len,
                    (const unsigned char *)buf_data(&text), text.len, digest,
                    &digest_len) != NULL &&
                   digest_len == 32,
               "HMAC failed");
    buf_append_str(&text, ".");
    for (unsigned int i = 0; i < digest_len; i++)
        buf_printf(&text, "%02x", digest[i]);

    result = verify_text(buf_data(&text), &t);
    FUZZ_CHECK(result != TOKEN_FOREIGN && result != TOKEN_TAMPERED,
               "correctly signed token %s: %s", buf_data(&text),
               token_result_text(result));
    if (result == TOKEN_OK || result == TOKEN_EXPIRED) {
        check_verified(&t, result);
        check_round_trip(&t);
    }
    buf_free(&text);
}

/*
 * Builds a token from the bytes: expires, then per channel a version and a
 * name. The text form separates channels with ',', so token_sign rejects
 * names with one; here a ',' or NUL byte becomes ';'.
 */
static void fuzz_struct(const uint8_t *data, size_t size)
{
    struct token t;

    memset(&t, 0, sizeof(t));
    t.expires = (long long)take_u64(&data, &size, 8);
    t.count = 1 + (int)(take_u64(&data, &size, 1) % TOKEN_MAX_CHANNELS);
    for (int i = 0; i < t.count; i++) {
        struct token_channel *c = &t.channels[i];
        size_t len = 1 + take_u64(&data, &size, 1) % (sizeof(c->name) - 1);

        c->version = take_u64(&data, &size, 8);
        for (size_t j = 0; j < len; j++) {
            char byte = size ? (char)take_u64(&data, &size, 1) : 'c';

            c->name[j] = byte == ',' || byte == '\0' ? ';' : byte;
        }
    }
    check_round_trip(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_verify(data + 1, size - 1);
        break;
    case 1:
        fuzz_signed_payload(data + 1, size - 1);
        break;
    default:
        fuzz_struct(data + 1, size - 1);
        break;
    }
    return 0;
}
