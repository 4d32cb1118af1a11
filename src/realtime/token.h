#ifndef RING_TOKEN_H
#define RING_TOKEN_H

#include <stddef.h>

#include "../util/buf.h"

/*
 * Page tokens: what a rendered page carries for its socket. A token names
 * the channels the page follows and the version it was rendered at, expires,
 * and is signed with HMAC-SHA256 under the server's key, so the server keeps
 * no record of the pages it rendered. The text form is
 *
 *   1.KEYID.EXPIRES.CHANNEL@VERSION[,CHANNEL@VERSION...].SIGNATURE
 *
 * KEYID names the key (8 hex digits), EXPIRES is Unix time in seconds, and
 * SIGNATURE is the hex HMAC of everything before its dot.
 */

#define TOKEN_MAX_CHANNELS 8
#define TOKEN_MAX_KEY 64

struct token_channel {
    char name[160];
    unsigned long long version;
};

struct token {
    long long expires;
    int count;
    struct token_channel channels[TOKEN_MAX_CHANNELS];
};

/* A signing key with its id. */
struct token_key {
    unsigned char secret[TOKEN_MAX_KEY];
    size_t len;
    char id[9];
};

/* The current key and, after a key change, the previous one, so pages
 * rendered just before the change still connect. */
struct token_keys {
    struct token_key current;
    struct token_key previous;
    int has_current;
    int has_previous;
};

enum token_result {
    TOKEN_OK,
    TOKEN_MALFORMED,
    TOKEN_FOREIGN,   /* signed with a key this server does not have */
    TOKEN_TAMPERED,  /* our key, but the signature does not match */
    TOKEN_EXPIRED,
};

/* Sets key from secret bytes (at most TOKEN_MAX_KEY are used) and derives
 * its id. Returns 0, or -1 when OpenSSL cannot compute the HMAC. */
int token_key_set(struct token_key *key, const void *secret, size_t len);

/* Makes `key` the current key, keeping the old one as previous. */
void token_keys_rotate(struct token_keys *keys, const struct token_key *key);

/* Appends the signed text of t to out. Returns 0, or -1 when out of
 * memory or when a channel name is empty or contains ','. */
int token_sign(const struct token_keys *keys, const struct token *t,
               struct buf *out);

/* Checks text at time `now` (Unix seconds) and fills out. */
enum token_result token_verify(const struct token_keys *keys,
                               const char *text, long long now,
                               struct token *out);

/* Returns a short phrase for a result, for close reasons and logs. */
const char *token_result_text(enum token_result result);

#endif
