#ifndef RING_PROTOCOL_H
#define RING_PROTOCOL_H

#include <stddef.h>

#include "../util/buf.h"

/*
 * The realtime protocol's wire format, with no I/O: parsing what clients
 * send and encoding what the server sends. Unit-tested and fuzzed alone.
 */

enum protocol_result {
    PROTOCOL_OK = 0,
    PROTOCOL_INVALID_JSON = -1, /* close the socket with 1007 */
    PROTOCOL_BAD_REQUEST = -2,  /* reply with status 400 and `error` */
};

#define PROTOCOL_MAX_INPUT 16
#define PROTOCOL_MAX_VERSIONS 8

/* One member of "input": strings as they are, numbers as written, booleans
 * as "true" or "false". Points into the message's storage. */
struct protocol_input {
    const char *name;
    const char *value;
};

/* One member of "versions": a channel and the version the client shows. */
struct protocol_version {
    char channel[160];
    unsigned long long version;
};

/*
 * A client message: {"action":"…","id":"…", …} with, for call-route,
 * "method", "uri" and "input", and for catch-up, "versions". Free with
 * protocol_message_free after protocol_parse, whatever it returned.
 */
struct protocol_message {
    char action[32];
    char id[64];      /* as it appeared: a string's text or a number */
    int has_id;
    int id_is_number;
    char method[16];
    int has_method;
    char uri[1024];
    int has_uri;
    struct protocol_input input[PROTOCOL_MAX_INPUT];
    size_t input_count;
    struct protocol_version versions[PROTOCOL_MAX_VERSIONS];
    size_t version_count;
    int has_versions;
    struct buf storage;   /* names and values that input points into */
    char error[160];      /* what is wrong, when parsing did not return OK */
};

/* Parses one text message. Fills msg (id too, where it could be read, so
 * that an error reply can name it). */
enum protocol_result protocol_parse(const char *data, size_t len,
                                    struct protocol_message *msg);
void protocol_message_free(struct protocol_message *msg);

/* Appends {"id":ID,"status":N,"body":BODY} or, with error set,
 * {"id":ID,"status":N,"error":ERROR}. ID is null when msg has none. */
int protocol_encode_reply(struct buf *out, const struct protocol_message *msg,
                          int status, const char *body, const char *error);

/* Appends the reply to a call-route:
 * {"id":ID,"status":N,"headers":{"content-type":TYPE},"body":BODY}. */
int protocol_encode_route_reply(struct buf *out, const char *id,
                                int id_is_number, int status,
                                const char *content_type, const char *body,
                                size_t body_len);

/* Appends {"channel":C,"version":N,"from":F,"payload":PAYLOAD}, a diff
 * that turns version F into N, or with from == 0 the whole state
 * {"channel":C,"version":N,"full":true,"payload":PAYLOAD}. payload is an
 * already encoded JSON array. */
int protocol_encode_push(struct buf *out, const char *channel,
                         unsigned long long version, unsigned long long from,
                         const char *payload, size_t payload_len);

#endif
