#ifndef RING_PRESENCE_H
#define RING_PRESENCE_H

#include "store.h"

/*
 * Presence: this process's share of a count that many processes add to
 * (viewers now). Each process writes its own exact count into a hash field
 * and an expiry time into a sorted set, both refreshed by a heartbeat, so a
 * process that dies stops counting within the TTL and a restart never
 * resets what other processes hold. Readers sum the live shares in one
 * script (store_presence_read), so the sum is atomic.
 */
struct store_presence;

struct store_presence_keys {
    const char *shares;   /* hash: member -> count */
    const char *expiry;   /* sorted set: member -> expiry time in ms */
    const char *member;   /* this process */
    const char *version;  /* bumped on every change of the sum */
};

/* Called after each heartbeat reached Redis. */
typedef void (*store_presence_beat_fn)(void *arg);

struct store_presence *store_presence_new(struct store *store,
                                          const struct store_presence_keys *keys,
                                          int ttl_seconds,
                                          store_presence_beat_fn beat,
                                          void *arg);
void store_presence_free(struct store_presence *presence);

/*
 * Writes this process's count. fn (may be NULL) gets the reply: the version
 * after the write, or NULL when Redis could not be reached. The count is
 * written again by the next heartbeat and after a reconnect, so a failed
 * write is not lost.
 */
void store_presence_set(struct store_presence *presence, long count,
                        store_reply_fn fn, void *arg);

/* Writes the count again now: call after the store reconnects. */
void store_presence_resync(struct store_presence *presence);

/*
 * Reads `counter_key`, the sum of live shares and the version in one atomic
 * step, removing shares whose expiry passed. The reply is an array of three
 * integers. Returns the request, or NULL when the store is down.
 */
struct store_request *store_presence_read(struct store_presence *presence,
                                          const char *counter_key,
                                          store_reply_fn fn, void *arg);

#endif
