#include "protocol.h"

#include <stdio.h>
#include <string.h>

#include <libwebsockets.h>

enum { FIELD_ACTION = 1, FIELD_ID = 2 };

/* Our own code beside LEJP's negative ones: data after the object. */
#define PROTOCOL_TRAILING_DATA (-100)

static const char *const protocol_paths[] = {"action", "id"};

/* Parser state for one message. */
struct protocol_parse {
    struct protocol_message *msg;
    char *field;          /* string being collected, or NULL */
    size_t field_size;
    size_t field_len;
    const char *field_name;
    int have_action;
};

static void parse_error(struct protocol_parse *p, const char *fmt,
                        const char *name)
{
    if (!p->msg->error[0])
        snprintf(p->msg->error, sizeof(p->msg->error), fmt, name);
}

static void parse_string_start(struct protocol_parse *p, int field)
{
    if (field == FIELD_ACTION) {
        p->field = p->msg->action;
        p->field_size = sizeof(p->msg->action);
        p->field_name = "action";
        p->have_action = 1;
    } else {
        p->field = p->msg->id;
        p->field_size = sizeof(p->msg->id);
        p->field_name = "id";
        p->msg->has_id = 1;
        p->msg->id_is_number = 0;
    }
    p->field_len = 0;
    p->field[0] = '\0';
}

static void parse_string_chunk(struct protocol_parse *p, const char *chunk,
                               size_t len)
{
    if (!p->field)
        return;
    if (p->field_len + len >= p->field_size) {
        if (!p->msg->error[0])
            snprintf(p->msg->error, sizeof(p->msg->error),
                     "\"%s\" is longer than %zu bytes", p->field_name,
                     p->field_size - 1);
        if (p->field == p->msg->id)
            p->msg->has_id = 0;
        p->field[0] = '\0';
        p->field = NULL;
        return;
    }
    memcpy(p->field + p->field_len, chunk, len);
    p->field_len += len;
    p->field[p->field_len] = '\0';
}

static void parse_number_id(struct protocol_parse *p, const char *text)
{
    if (strlen(text) >= sizeof(p->msg->id)) {
        parse_error(p, "\"%s\" is too long", "id");
        return;
    }
    strcpy(p->msg->id, text);
    p->msg->has_id = 1;
    p->msg->id_is_number = 1;
}

/* Rejects a value of the wrong type for a known field. */
static void parse_wrong_type(struct protocol_parse *p, int field, char reason)
{
    if (field == FIELD_ACTION) {
        parse_error(p, "\"%s\" must be a string", "action");
        p->have_action = 1;
    } else if (reason != LEJPCB_VAL_NUM_INT) {
        parse_error(p, "\"%s\" must be a string or an integer", "id");
        p->msg->has_id = 0;
        p->msg->id[0] = '\0';
    }
}

static int protocol_field(const char *path, int array_start)
{
    static const char *const names[] = {"action", "id"};

    for (int i = 0; i < 2; i++) {
        size_t n = strlen(names[i]);
        if (!strncmp(path, names[i], n) &&
            (!path[n] || (array_start && !strcmp(path + n, "[]"))))
            return i == 0 ? FIELD_ACTION : FIELD_ID;
    }
    return 0;
}

static signed char protocol_parse_cb(struct lejp_ctx *ctx, char reason)
{
    struct protocol_parse *p = ctx->user;
    /* Only the top-level members count: "id" but not "x.id". LEJP names
     * an array by its member's name with "[]" already at ARRAY_START. */
    int field = protocol_field(ctx->path, reason == LEJPCB_ARRAY_START);

    switch (reason) {
    case LEJPCB_VAL_STR_START:
        if (field)
            parse_string_start(p, field);
        break;
    case LEJPCB_VAL_STR_CHUNK:
    case LEJPCB_VAL_STR_END:
        parse_string_chunk(p, ctx->buf, ctx->npos);
        if (reason == LEJPCB_VAL_STR_END)
            p->field = NULL;
        break;
    case LEJPCB_VAL_NUM_INT:
        if (field == FIELD_ID)
            parse_number_id(p, ctx->buf);
        else if (field)
            parse_wrong_type(p, field, reason);
        break;
    case LEJPCB_VAL_TRUE:
    case LEJPCB_VAL_FALSE:
    case LEJPCB_VAL_NULL:
    case LEJPCB_VAL_NUM_FLOAT:
    case LEJPCB_OBJECT_START:
    case LEJPCB_ARRAY_START:
        if (field)
            parse_wrong_type(p, field, reason);
        break;
    default:
        break;
    }
    return 0;
}

static int only_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return 1;
}

/* Runs LEJP over data. Returns 0 when data is one complete JSON value with
 * nothing but white space after it, else LEJP's error (or LEJP_CONTINUE). */
static int protocol_lejp(const char *data, size_t len,
                         struct protocol_parse *p)
{
    struct lejp_ctx ctx;
    int r;

    lejp_construct(&ctx, protocol_parse_cb, p, protocol_paths,
                   LWS_ARRAY_SIZE(protocol_paths));
    r = lejp_parse(&ctx, (const unsigned char *)data, (int)len);
    lejp_destruct(&ctx);
    if (r < 0)
        return r;
    if (!only_space(data + len - (size_t)r, (size_t)r))
        return PROTOCOL_TRAILING_DATA;
    return 0;
}

static const char *first_non_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!only_space(s + i, 1))
            return s + i;
    return NULL;
}

enum protocol_result protocol_parse(const char *data, size_t len,
                                    struct protocol_message *msg)
{
    struct protocol_parse p;
    const char *start = first_non_space(data, len);
    int r;

    memset(msg, 0, sizeof(*msg));
    memset(&p, 0, sizeof(p));
    p.msg = msg;
    if (!start) {
        snprintf(msg->error, sizeof(msg->error), "invalid JSON: empty");
        return PROTOCOL_INVALID_JSON;
    }
    if (*start != '{') {
        snprintf(msg->error, sizeof(msg->error),
                 "invalid JSON: a message must be a JSON object");
        return PROTOCOL_INVALID_JSON;
    }
    r = protocol_lejp(data, len, &p);
    if (r) {
        snprintf(msg->error, sizeof(msg->error), "invalid JSON: %s",
                 r == LEJP_CONTINUE ? "unexpected end of message"
                 : r == PROTOCOL_TRAILING_DATA ? "data after the object"
                 : lejp_error_to_string(r));
        return PROTOCOL_INVALID_JSON;
    }
    if (msg->error[0])
        return PROTOCOL_BAD_REQUEST;
    if (!p.have_action) {
        snprintf(msg->error, sizeof(msg->error), "missing \"action\"");
        return PROTOCOL_BAD_REQUEST;
    }
    if (!msg->has_id) {
        snprintf(msg->error, sizeof(msg->error), "missing \"id\"");
        return PROTOCOL_BAD_REQUEST;
    }
    return PROTOCOL_OK;
}

static int encode_id(struct buf *out, const struct protocol_message *msg)
{
    if (!msg || !msg->has_id)
        return buf_append_str(out, "null");
    if (msg->id_is_number)
        return buf_append_str(out, msg->id);
    return buf_append_json_string(out, msg->id, strlen(msg->id));
}

int protocol_encode_reply(struct buf *out, const struct protocol_message *msg,
                          int status, const char *body, const char *error)
{
    const char *text = "";

    if (error)
        text = error;
    else if (body)
        text = body;

    if (buf_append_str(out, "{\"id\":") || encode_id(out, msg) ||
        buf_printf(out, ",\"status\":%d,\"%s\":", status,
                   error ? "error" : "body") ||
        buf_append_json_string(out, text, strlen(text)) ||
        buf_append_str(out, "}"))
        return -1;
    return 0;
}

int protocol_encode_push(struct buf *out, const char *channel,
                         unsigned long long version, unsigned long long from,
                         const char *payload, size_t payload_len)
{
    if (buf_append_str(out, "{\"channel\":") ||
        buf_append_json_string(out, channel, strlen(channel)) ||
        buf_printf(out, ",\"version\":%llu", version) ||
        (from ? buf_printf(out, ",\"from\":%llu", from)
              : buf_append_str(out, ",\"full\":true")) ||
        buf_append_str(out, ",\"payload\":") ||
        buf_append(out, payload, payload_len) || buf_append_str(out, "}"))
        return -1;
    return 0;
}
