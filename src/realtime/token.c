#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#define SIGNATURE_HEX 64

static const char key_id_label[] = "ringserver key id";

/* Writes the hex HMAC-SHA256 of data under key into hex (65 bytes). */
static int token_hmac_hex(const struct token_key *key, const char *data,
                          size_t len, char *hex)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;

    if (!HMAC(EVP_sha256(), key->secret, (int)key->len,
              (const unsigned char *)data, len, digest, &digest_len) ||
        digest_len != 32)
        return -1;
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", digest[i]);
    return 0;
}

int token_key_set(struct token_key *key, const void *secret, size_t len)
{
    char hex[SIGNATURE_HEX + 1];

    if (len > TOKEN_MAX_KEY)
        len = TOKEN_MAX_KEY;
    memcpy(key->secret, secret, len);
    key->len = len;
    if (token_hmac_hex(key, key_id_label, sizeof(key_id_label) - 1, hex))
        return -1;
    memcpy(key->id, hex, 8);
    key->id[8] = '\0';
    return 0;
}

void token_keys_rotate(struct token_keys *keys, const struct token_key *key)
{
    if (keys->has_current && !strcmp(keys->current.id, key->id))
        return;
    if (keys->has_current) {
        keys->previous = keys->current;
        keys->has_previous = 1;
    }
    keys->current = *key;
    keys->has_current = 1;
}

int token_sign(const struct token_keys *keys, const struct token *t,
               struct buf *out)
{
    size_t start = out->len;
    char hex[SIGNATURE_HEX + 1];

    for (int i = 0; i < t->count; i++)
        if (!t->channels[i].name[0] || strchr(t->channels[i].name, ','))
            return -1; /* would not read back as signed */
    if (!keys->has_current ||
        buf_printf(out, "1.%s.%lld.", keys->current.id, t->expires))
        return -1;
    for (int i = 0; i < t->count; i++)
        if (buf_printf(out, "%s%s@%llu", i ? "," : "", t->channels[i].name,
                       t->channels[i].version))
            return -1;
    if (token_hmac_hex(&keys->current, buf_data(out) + start,
                       out->len - start, hex))
        return -1;
    return buf_printf(out, ".%s", hex);
}

/* Constant-time comparison, so timing tells nothing about the signature. */
static int same_bytes(const char *a, const char *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

/* Parses "NAME@VERSION[,...]" into t. Returns 0 or -1. */
static int parse_channels(char *list, struct token *t)
{
    char *item, *rest, *at, *end;

    t->count = 0;
    for (item = strtok_r(list, ",", &rest); item;
         item = strtok_r(NULL, ",", &rest)) {
        at = strrchr(item, '@');
        if (!at || at == item || t->count == TOKEN_MAX_CHANNELS ||
            (size_t)(at - item) >= sizeof(t->channels[0].name))
            return -1;
        *at = '\0';
        strcpy(t->channels[t->count].name, item);
        t->channels[t->count].version = strtoull(at + 1, &end, 10);
        if (end == at + 1 || *end)
            return -1;
        t->count++;
    }
    return t->count ? 0 : -1;
}

static const struct token_key *find_key(const struct token_keys *keys,
                                        const char *id)
{
    if (keys->has_current && !strncmp(keys->current.id, id, 8))
        return &keys->current;
    if (keys->has_previous && !strncmp(keys->previous.id, id, 8))
        return &keys->previous;
    return NULL;
}

enum token_result token_verify(const struct token_keys *keys,
                               const char *text, long long now,
                               struct token *out)
{
    char copy[2048], expected[SIGNATURE_HEX + 1], *expires, *channels, *end;
    const char *signature = strrchr(text, '.');
    const struct token_key *key;
    size_t payload_len;

    memset(out, 0, sizeof(*out));
    if (!signature || strlen(signature + 1) != SIGNATURE_HEX ||
        strlen(text) >= sizeof(copy) || strncmp(text, "1.", 2) ||
        strlen(text) < 12 || text[10] != '.')
        return TOKEN_MALFORMED;
    key = find_key(keys, text + 2);
    if (!key)
        return TOKEN_FOREIGN;

    payload_len = (size_t)(signature - text);
    if (token_hmac_hex(key, text, payload_len, expected) ||
        !same_bytes(expected, signature + 1, SIGNATURE_HEX))
        return TOKEN_TAMPERED;

    memcpy(copy, text, payload_len);
    copy[payload_len] = '\0';
    expires = copy + 11;
    channels = strchr(expires, '.');
    if (!channels)
        return TOKEN_MALFORMED;
    *channels++ = '\0';
    out->expires = strtoll(expires, &end, 10);
    if (end == expires || *end || parse_channels(channels, out))
        return TOKEN_MALFORMED;
    if (out->expires < now)
        return TOKEN_EXPIRED;
    return TOKEN_OK;
}

const char *token_result_text(enum token_result result)
{
    switch (result) {
    case TOKEN_OK:
        return "valid";
    case TOKEN_MALFORMED:
        return "malformed token";
    case TOKEN_FOREIGN:
        return "token signed with an unknown key";
    case TOKEN_TAMPERED:
        return "token signature does not match";
    case TOKEN_EXPIRED:
        return "token expired";
    }
    return "invalid token";
}
