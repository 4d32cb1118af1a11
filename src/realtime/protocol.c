#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

/* The top-level members the protocol reads; others are ignored. */
enum field {
    FIELD_NONE,
    FIELD_ACTION,
    FIELD_ID,
    FIELD_METHOD,
    FIELD_URI,
    FIELD_INPUT,
    FIELD_VERSIONS,
};

static const char *const field_names[] = {
    NULL, "action", "id", "method", "uri", "input", "versions",
};

/* Our own code beside LEJP's negative ones: data after the object. */
#define PROTOCOL_TRAILING_DATA (-100)

/* Parser state for one message. */
struct protocol_parse {
    struct protocol_message *msg;
    int depth;              /* objects and arrays open */
    enum field object;      /* FIELD_INPUT or FIELD_VERSIONS while inside */
    enum field string;      /* the field whose string is being read */
    struct buf text;        /* that string so far */
    int have_action;
};

static void parse_error(struct protocol_parse *p, const char *fmt,
                        const char *name)
{
    if (!p->msg->error[0])
        snprintf(p->msg->error, sizeof(p->msg->error), fmt, name);
}

/* Returns the top-level field named by path. LEJP names an array by its
 * member's name with "[]" already added at ARRAY_START. */
static enum field field_of(const char *path, int array_start)
{
    for (int i = FIELD_ACTION; i <= FIELD_VERSIONS; i++) {
        size_t n = strlen(field_names[i]);
        if (!strncmp(path, field_names[i], n) &&
            (!path[n] || (array_start && !strcmp(path + n, "[]"))))
            return (enum field)i;
    }
    return FIELD_NONE;
}

/* Returns the name of the input or versions member that path names. */
static const char *member_of(const struct protocol_parse *p, const char *path)
{
    return path + strlen(field_names[p->object]) + 1;
}

/* Rejects a value of the wrong type for a top-level field. */
static void parse_wrong_type(struct protocol_parse *p, enum field field)
{
    switch (field) {
    case FIELD_ID:
        parse_error(p, "\"%s\" must be a string or an integer", "id");
        p->msg->has_id = 0;
        p->msg->id[0] = '\0';
        break;
    case FIELD_INPUT:
    case FIELD_VERSIONS:
        parse_error(p, "\"%s\" must be an object", field_names[field]);
        break;
    case FIELD_ACTION:
        p->have_action = 1;
        /* fall through */
    default:
        parse_error(p, "\"%s\" must be a string", field_names[field]);
        break;
    }
}

static void parse_value_error(struct protocol_parse *p)
{
    if (p->object == FIELD_INPUT)
        parse_error(p, "values in \"%s\" must be strings, numbers, "
                    "booleans or null", "input");
    else
        parse_error(p, "values in \"%s\" must be integers", "versions");
}

/* Copies a finished top-level string into its place in the message. */
static void store_field(struct protocol_parse *p, enum field field,
                        const char *text, size_t len)
{
    struct protocol_message *m = p->msg;
    char *dst = field == FIELD_ACTION ? m->action
                : field == FIELD_ID   ? m->id
                : field == FIELD_METHOD ? m->method
                                        : m->uri;
    size_t size = field == FIELD_ACTION ? sizeof(m->action)
                  : field == FIELD_ID   ? sizeof(m->id)
                  : field == FIELD_METHOD ? sizeof(m->method)
                                          : sizeof(m->uri);
    char error[64];

    if (field == FIELD_ACTION)
        p->have_action = 1;
    if (len >= size) {
        snprintf(error, sizeof(error), "\"%%s\" is longer than %zu bytes",
                 size - 1);
        parse_error(p, error, field_names[field]);
        return;
    }
    memcpy(dst, text, len);
    dst[len] = '\0';
    m->has_id |= field == FIELD_ID;
    m->id_is_number &= field != FIELD_ID;
    m->has_method |= field == FIELD_METHOD;
    m->has_uri |= field == FIELD_URI;
}

/* Records one member of "input" (name and value text). */
static void store_input(struct protocol_parse *p, const char *name,
                        const char *value, size_t len)
{
    struct protocol_message *m = p->msg;

    if (m->input_count == PROTOCOL_MAX_INPUT) {
        parse_error(p, "\"%s\" has more than 16 members", "input");
        return;
    }
    /* Offsets for now: storage may move until parsing ends. */
    m->input[m->input_count].name = (const char *)(uintptr_t)m->storage.len;
    if (buf_append(&m->storage, name, strlen(name) + 1))
        goto fail;
    m->input[m->input_count].value =
        (const char *)(uintptr_t)m->storage.len;
    if (buf_append(&m->storage, value, len) ||
        buf_append(&m->storage, "", 1))
        goto fail;
    m->input_count++;
    return;

fail:
    parse_error(p, "%s", "out of memory");
}

static void store_version(struct protocol_parse *p, const char *channel,
                          const char *number)
{
    struct protocol_message *m = p->msg;
    struct protocol_version *v = &m->versions[m->version_count];
    char *end;

    if (m->version_count == PROTOCOL_MAX_VERSIONS) {
        parse_error(p, "\"%s\" has more than 8 channels", "versions");
        return;
    }
    if (strlen(channel) >= sizeof(v->channel) || number[0] == '-') {
        parse_error(p, "%s", "invalid channel or version in \"versions\"");
        return;
    }
    strcpy(v->channel, channel);
    v->version = strtoull(number, &end, 10);
    m->version_count++;
}

/*
 * Joins surrogate pairs in place. LEJP decodes each \\uD8xx\\uDCxx escape
 * on its own into a 3-byte sequence, which is not valid UTF-8; the pair
 * becomes the 4-byte sequence of its code point. Returns the new length.
 */
static size_t join_surrogates(char *s, size_t len)
{
    unsigned char *u = (unsigned char *)s;
    size_t in = 0, out = 0;
    unsigned int high, low, cp;

    while (in < len) {
        if (in + 6 <= len && u[in] == 0xed && (u[in + 1] & 0xf0) == 0xa0 &&
            u[in + 3] == 0xed && (u[in + 4] & 0xf0) == 0xb0) {
            high = ((u[in + 1] & 0x0fu) << 6) | (u[in + 2] & 0x3fu);
            low = ((u[in + 4] & 0x0fu) << 6) | (u[in + 5] & 0x3fu);
            cp = 0x10000 + (high << 10) + low;
            u[out++] = (unsigned char)(0xf0 | (cp >> 18));
            u[out++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
            u[out++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
            u[out++] = (unsigned char)(0x80 | (cp & 0x3f));
            in += 6;
        } else {
            u[out++] = u[in++];
        }
    }
    s[out] = '\0';
    return out;
}

static void parse_string_end(struct protocol_parse *p, const char *path)
{
    char *text = buf_data(&p->text);

    p->text.len = join_surrogates(text, p->text.len);
    if (memchr(text, '\0', p->text.len)) {
        parse_error(p, "%s", "strings must not contain U+0000");
        p->string = FIELD_NONE;
        return;
    }

    if (p->string == FIELD_INPUT)
        store_input(p, member_of(p, path), text, p->text.len);
    else if (p->string != FIELD_NONE)
        store_field(p, p->string, text, p->text.len);
    p->string = FIELD_NONE;
}

/* A scalar that is not a string, inside "input" or "versions". */
static void parse_member_scalar(struct protocol_parse *p, const char *path,
                                char reason, const char *text)
{
    if (p->object == FIELD_VERSIONS) {
        if (reason == LEJPCB_VAL_NUM_INT)
            store_version(p, member_of(p, path), text);
        else
            parse_value_error(p);
        return;
    }
    if (reason == LEJPCB_VAL_TRUE)
        text = "true";
    else if (reason == LEJPCB_VAL_FALSE)
        text = "false";
    else if (reason == LEJPCB_VAL_NULL)
        return; /* a null member is the same as a missing one */
    store_input(p, member_of(p, path), text, strlen(text));
}

/* Returns 1 if text is an integer as JSON writes it: -?(0|[1-9][0-9]*).
 * LEJP also passes leading zeros and exponents as integers. */
static int is_json_integer(const char *text)
{
    if (*text == '-')
        text++;
    if (*text == '0')
        return text[1] == '\0';
    if (*text < '1' || *text > '9')
        return 0;
    while (*text >= '0' && *text <= '9')
        text++;
    return *text == '\0';
}

/* A value of a top-level member. */
static void parse_top_value(struct protocol_parse *p, enum field field,
                            char reason, const char *text)
{
    if (field == FIELD_NONE)
        return;
    if (reason == LEJPCB_VAL_STR_START && field <= FIELD_URI) {
        p->string = field;
        buf_reset(&p->text);
    } else if (reason == LEJPCB_VAL_NUM_INT && field == FIELD_ID) {
        if (!is_json_integer(text)) {
            parse_wrong_type(p, FIELD_ID);
            return;
        }
        store_field(p, FIELD_ID, text, strlen(text));
        p->msg->id_is_number = !p->msg->error[0];
    } else if (reason == LEJPCB_OBJECT_START &&
               (field == FIELD_INPUT || field == FIELD_VERSIONS)) {
        p->object = field;
        p->msg->has_versions |= field == FIELD_VERSIONS;
    } else if (!(reason == LEJPCB_VAL_NULL && field >= FIELD_INPUT)) {
        parse_wrong_type(p, field);
    }
}

static void parse_value(struct protocol_parse *p, struct lejp_ctx *ctx,
                        char reason)
{
    if (p->depth == 1) {
        parse_top_value(p, field_of(ctx->path, reason == LEJPCB_ARRAY_START),
                        reason, ctx->buf);
        return;
    }
    if (p->depth != 2 || p->object == FIELD_NONE)
        return; /* inside a member the protocol does not read */
    if (reason == LEJPCB_OBJECT_START || reason == LEJPCB_ARRAY_START)
        parse_value_error(p);
    else if (reason == LEJPCB_VAL_STR_START && p->object == FIELD_INPUT) {
        p->string = FIELD_INPUT;
        buf_reset(&p->text);
    } else if (reason == LEJPCB_VAL_STR_START)
        parse_value_error(p);
    else
        parse_member_scalar(p, ctx->path, reason, ctx->buf);
}

static signed char protocol_parse_cb(struct lejp_ctx *ctx, char reason)
{
    struct protocol_parse *p = ctx->user;

    switch (reason) {
    case LEJPCB_VAL_STR_CHUNK:
    case LEJPCB_VAL_STR_END:
        if (p->string != FIELD_NONE &&
            buf_append(&p->text, ctx->buf, ctx->npos))
            parse_error(p, "%s", "out of memory");
        if (reason == LEJPCB_VAL_STR_END)
            parse_string_end(p, ctx->path);
        break;
    case LEJPCB_OBJECT_START:
    case LEJPCB_ARRAY_START:
        if (p->depth > 0)
            parse_value(p, ctx, reason);
        p->depth++;
        break;
    case LEJPCB_OBJECT_END:
    case LEJPCB_ARRAY_END:
        p->depth--;
        if (p->depth == 1)
            p->object = FIELD_NONE;
        break;
    case LEJPCB_VAL_STR_START:
    case LEJPCB_VAL_NUM_INT:
    case LEJPCB_VAL_NUM_FLOAT:
    case LEJPCB_VAL_TRUE:
    case LEJPCB_VAL_FALSE:
    case LEJPCB_VAL_NULL:
        parse_value(p, ctx, reason);
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
    static const char *const paths[] = {"action", "id"};
    struct lejp_ctx ctx;
    int r;

    lejp_construct(&ctx, protocol_parse_cb, p, paths, LWS_ARRAY_SIZE(paths));
    r = lejp_parse(&ctx, (const unsigned char *)data, (int)len);
    lejp_destruct(&ctx);
    if (r < 0)
        return r;
    if (!only_space(data + len - (size_t)r, (size_t)r))
        return PROTOCOL_TRAILING_DATA;
    return 0;
}

/* Longest number the protocol reads; LEJP fails on longer ones as if the
 * JSON were invalid, so they are turned away as too long first. */
#define MAX_NUMBER_DIGITS 24

/* Returns 1 if a number outside the strings of data has more digits than
 * MAX_NUMBER_DIGITS. */
static int has_long_number(const char *data, size_t len)
{
    int in_string = 0, escaped = 0;
    size_t run = 0;

    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
            continue;
        }
        in_string = c == '"';
        run = (c >= '0' && c <= '9') ? run + 1 : 0;
        if (run > MAX_NUMBER_DIGITS)
            return 1;
    }
    return 0;
}

static const char *first_non_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!only_space(s + i, 1))
            return s + i;
    return NULL;
}

/* Turns the input offsets into pointers, now that storage stays put. */
static void resolve_input(struct protocol_message *msg)
{
    char *base = buf_data(&msg->storage);

    for (size_t i = 0; i < msg->input_count; i++) {
        msg->input[i].name = base + (uintptr_t)msg->input[i].name;
        msg->input[i].value = base + (uintptr_t)msg->input[i].value;
    }
}

static enum protocol_result protocol_check(struct protocol_parse *p)
{
    struct protocol_message *msg = p->msg;

    if (msg->error[0])
        return PROTOCOL_BAD_REQUEST;
    if (!p->have_action) {
        snprintf(msg->error, sizeof(msg->error), "missing \"action\"");
        return PROTOCOL_BAD_REQUEST;
    }
    if (!msg->has_id) {
        snprintf(msg->error, sizeof(msg->error), "missing \"id\"");
        return PROTOCOL_BAD_REQUEST;
    }
    return PROTOCOL_OK;
}

enum protocol_result protocol_parse(const char *data, size_t len,
                                    struct protocol_message *msg)
{
    struct protocol_parse p;
    const char *start = first_non_space(data, len);
    enum protocol_result result;
    int r;

    memset(msg, 0, sizeof(*msg));
    buf_init(&msg->storage, 0);
    memset(&p, 0, sizeof(p));
    p.msg = msg;
    buf_init(&p.text, 0);
    if (!start || *start != '{') {
        snprintf(msg->error, sizeof(msg->error), "invalid JSON: %s",
                 start ? "a message must be a JSON object" : "empty");
        return PROTOCOL_INVALID_JSON;
    }
    if (has_long_number(data, len)) {
        snprintf(msg->error, sizeof(msg->error),
                 "a number in the message is longer than %d digits",
                 MAX_NUMBER_DIGITS);
        return PROTOCOL_BAD_REQUEST;
    }
    r = protocol_lejp(data, len, &p);
    buf_free(&p.text);
    resolve_input(msg);
    if (r == LEJP_REJECT_NUM_TOO_LONG) {
        snprintf(msg->error, sizeof(msg->error),
                 "a number in the message is too long");
        return PROTOCOL_BAD_REQUEST;
    }
    if (r) {
        snprintf(msg->error, sizeof(msg->error), "invalid JSON: %s",
                 r == LEJP_CONTINUE ? "unexpected end of message"
                 : r == PROTOCOL_TRAILING_DATA ? "data after the object"
                 : lejp_error_to_string(r));
        return PROTOCOL_INVALID_JSON;
    }
    result = protocol_check(&p);
    return result;
}

void protocol_message_free(struct protocol_message *msg)
{
    buf_free(&msg->storage);
    msg->input_count = 0;
}

static int encode_id(struct buf *out, const char *id, int has_id,
                     int id_is_number)
{
    if (!has_id)
        return buf_append_str(out, "null");
    if (id_is_number)
        return buf_append_str(out, id);
    return buf_append_json_string(out, id, strlen(id));
}

int protocol_encode_reply(struct buf *out, const struct protocol_message *msg,
                          int status, const char *body, const char *error)
{
    const char *text = "";

    if (error)
        text = error;
    else if (body)
        text = body;

    if (buf_append_str(out, "{\"id\":") ||
        encode_id(out, msg ? msg->id : "", msg && msg->has_id,
                  msg && msg->id_is_number) ||
        buf_printf(out, ",\"status\":%d,\"%s\":", status,
                   error ? "error" : "body") ||
        buf_append_json_string(out, text, strlen(text)) ||
        buf_append_str(out, "}"))
        return -1;
    return 0;
}

int protocol_encode_route_reply(struct buf *out, const char *id,
                                int id_is_number, int status,
                                const char *content_type, const char *body,
                                size_t body_len)
{
    if (buf_append_str(out, "{\"id\":") ||
        encode_id(out, id, 1, id_is_number) ||
        buf_printf(out, ",\"status\":%d,\"headers\":{\"content-type\":",
                   status) ||
        buf_append_json_string(out, content_type, strlen(content_type)) ||
        buf_append_str(out, "},\"body\":") ||
        buf_append_json_string(out, body, body_len) ||
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
