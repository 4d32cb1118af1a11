#ifndef RING_VERSIONED_H
#define RING_VERSIONED_H

#include "store.h"

/*
 * Versioned values: each change runs in one Lua script with a bump of a
 * version key, so every process agrees which state a version names. A new
 * version is max(previous + 1, Redis TIME in microseconds): it only grows,
 * also across a Redis restart that lost the data, as long as the clock does
 * not go back. Versions stay below 2^53, so JSON readers keep them exact.
 */

/* Lua: `bump(key)` sets and returns the next version of key. */
extern const char store_version_bump_lua[];

/*
 * INCR key and bump version_key once per marker_key: a request id that the
 * script records for 5 minutes. If the connection drops before the reply,
 * the command is sent again after the reconnect (until timeout_ms), and the
 * marker keeps it from counting twice. Reply: integer, the version. Returns
 * 0, or -1 when the store is down.
 */
int store_versioned_incr_once(struct store *store, const char *key,
                              const char *version_key, const char *marker_key,
                              int timeout_ms, store_reply_fn fn, void *arg);

/* SET key value and bump version_key. Reply: integer, the new version. */
struct store_request *store_versioned_set(struct store *store,
                                          const char *key, const char *value,
                                          const char *version_key,
                                          store_reply_fn fn, void *arg);

/* GET key with its version. Reply: array {value or nil, version}. */
struct store_request *store_versioned_get(struct store *store,
                                          const char *key,
                                          const char *version_key,
                                          store_reply_fn fn, void *arg);

/* Reads an integer reply or an integer element of an array reply. Returns
 * 0 and sets *out, or -1 when the reply is not an integer. */
int store_reply_integer(const redisReply *reply, long long *out);

#endif
