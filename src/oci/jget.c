/* JSON path tracking and typed getters for the config parser. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/json.h"
#include "oci/internal.h"

/* Append printable text; a path that does not fit is cut, never overrun. */
static void path_append(oci_pctx *p, const char *s, size_t max)
{
        for (size_t i = 0; s[i] && i < max && p->len + 1 < sizeof(p->path); i++) {
                unsigned char ch = (unsigned char) s[i];
                p->path[p->len++] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char) ch;
        }
        p->path[p->len] = '\0';
}

size_t oci_push_key(oci_pctx *p, const char *key)
{
        size_t mark = p->len;
        if (p->len > 0)
                path_append(p, ".", 1);
        path_append(p, key, 64);
        return mark;
}

size_t oci_push_index(oci_pctx *p, size_t i)
{
        size_t mark = p->len;
        char buf[32];
        snprintf(buf, sizeof(buf), "[%zu]", i);
        path_append(p, buf, sizeof(buf));
        return mark;
}

static int vfail(oci_pctx *p, const char *fmt, va_list ap) _printf_(2, 0);
static int vfail(oci_pctx *p, const char *fmt, va_list ap)
{
        char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
        int r = p->len > 0 ? err_setx(p->err, EINVAL, "%s: %s: %s", p->name, p->path, msg)
                           : err_setx(p->err, EINVAL, "%s: %s", p->name, msg);
        free(msg);
        return r;
}

int oci_fail(oci_pctx *p, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vfail(p, fmt, ap);
        va_end(ap);
        return r;
}

int oci_fail_key(oci_pctx *p, const char *key, const char *fmt, ...)
{
        size_t m = oci_push_key(p, key);
        va_list ap;
        va_start(ap, fmt);
        int r = vfail(p, fmt, ap);
        va_end(ap);
        oci_pop(p, m);
        return r;
}

int oci_missing(oci_pctx *p, const char *key)
{
        return oci_fail_key(p, key, "required field missing");
}

int oci_type_error(oci_pctx *p, const char *want, const json_t *got)
{
        uint64_t u;
        const char *type = oci_bigint_lookup(p, got, &u) == 0 ? "integer" : json_type_name(got);
        return oci_fail(p, "expected %s, got %s", want, type);
}

const char *oci_quote(char buf[OCI_QUOTE_MAX], const char *s)
{
        size_t n = 0;
        buf[n++] = '"';
        for (size_t i = 0; s[i]; i++) {
                if (i >= 64) {
                        memcpy(buf + n, "...", 3);
                        n += 3;
                        break;
                }
                unsigned char ch = (unsigned char) s[i];
                buf[n++] = (ch < 0x20 || ch >= 0x7f || ch == '"') ? '?' : (char) ch;
        }
        buf[n++] = '"';
        buf[n] = '\0';
        return buf;
}

json_t *oci_field(const json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);
        return json_is_null(v) ? NULL : v;
}

int oci_val_obj(oci_pctx *p, const json_t *v)
{
        return json_is_object(v) ? 0 : oci_type_error(p, "object", v);
}

int oci_val_str(oci_pctx *p, const json_t *v, char **ret)
{
        if (!json_is_string(v))
                return oci_type_error(p, "string", v);
        /* jansson rejects \u0000 (no JSON_ALLOW_NUL), so this is the whole string. */
        char *s = strdup(json_string_value(v));
        if (!s)
                return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
        free(*ret);
        *ret = s;
        return 0;
}

int oci_val_int(oci_pctx *p, const json_t *v, int64_t min, int64_t max, int64_t *ret)
{
        uint64_t big;
        if (oci_bigint_lookup(p, v, &big) == 0)
                return oci_fail(p, "%" PRIu64 " out of range [%" PRId64 ", %" PRId64 "]", big, min, max);
        if (!json_is_integer(v))
                return oci_type_error(p, "integer", v);
        json_int_t x = json_integer_value(v);
        if (x < min || x > max)
                return oci_fail(p, "%" PRId64 " out of range [%" PRId64 ", %" PRId64 "]",
                                (int64_t) x, min, max);
        *ret = (int64_t) x;
        return 0;
}

/* Run conv on obj[key] with the path at key. */
#define WITH_FIELD(p, obj, key, conv)                                   \
        ({                                                              \
                json_t *_v = oci_field((obj), (key));                   \
                int _r = 0;                                             \
                if (_v) {                                               \
                        size_t _m = oci_push_key((p), (key));           \
                        _r = conv;                                      \
                        oci_pop((p), _m);                               \
                        if (_r == 0)                                    \
                                _r = 1;                                 \
                }                                                       \
                _r;                                                     \
        })

int oci_get_obj(oci_pctx *p, const json_t *obj, const char *key, json_t **ret)
{
        int r = WITH_FIELD(p, obj, key, oci_val_obj(p, _v));
        if (r > 0)
                *ret = oci_field(obj, key);
        return r;
}

static int val_arr(oci_pctx *p, const json_t *v)
{
        if (!json_is_array(v))
                return oci_type_error(p, "array", v);
        if (json_array_size(v) > OCI_MAX_ARRAY)
                return oci_fail(p, "%zu entries, more than the limit of %d", json_array_size(v), OCI_MAX_ARRAY);
        return 0;
}

int oci_get_arr(oci_pctx *p, const json_t *obj, const char *key, json_t **ret)
{
        int r = WITH_FIELD(p, obj, key, val_arr(p, _v));
        if (r > 0)
                *ret = oci_field(obj, key);
        return r;
}

int oci_get_str(oci_pctx *p, const json_t *obj, const char *key, char **ret)
{
        return WITH_FIELD(p, obj, key, oci_val_str(p, _v, ret));
}

static int val_bool(oci_pctx *p, const json_t *v, bool *ret)
{
        if (!json_is_boolean(v))
                return oci_type_error(p, "boolean", v);
        *ret = json_is_true(v);
        return 0;
}

int oci_get_bool(oci_pctx *p, const json_t *obj, const char *key, bool *ret)
{
        return WITH_FIELD(p, obj, key, val_bool(p, _v, ret));
}

int oci_get_int(oci_pctx *p, const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *ret)
{
        return WITH_FIELD(p, obj, key, oci_val_int(p, _v, min, max, ret));
}

static int val_u64(oci_pctx *p, const json_t *v, uint64_t *ret)
{
        int64_t x = 0;
        if (oci_bigint_lookup(p, v, ret) == 0)
                return 0;
        int r = oci_val_int(p, v, 0, INT64_MAX, &x);
        if (r >= 0)
                *ret = (uint64_t) x;
        return r;
}

int oci_get_u64(oci_pctx *p, const json_t *obj, const char *key, uint64_t *ret)
{
        return WITH_FIELD(p, obj, key, val_u64(p, _v, ret));
}

int oci_get_u32(oci_pctx *p, const json_t *obj, const char *key, uint32_t *ret)
{
        int64_t x = 0;
        int r = oci_get_int(p, obj, key, 0, UINT32_MAX, &x);
        if (r > 0)
                *ret = (uint32_t) x;
        return r;
}

static int val_strv(oci_pctx *p, const json_t *v, char ***ret, size_t *ret_n)
{
        int r = val_arr(p, v);
        if (r < 0)
                return r;
        size_t n = json_array_size(v);
        char **a = calloc(n + 1, sizeof(char *));
        if (!a)
                return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
        oci_strv_free(*ret, *ret_n);
        *ret = a;
        *ret_n = n;
        for (size_t i = 0; i < n; i++) {
                size_t m = oci_push_index(p, i);
                r = oci_val_str(p, json_array_get(v, i), &a[i]);
                oci_pop(p, m);
                if (r < 0)
                        return r;
        }
        return 0;
}

int oci_get_strv(oci_pctx *p, const json_t *obj, const char *key, char ***ret, size_t *ret_n)
{
        return WITH_FIELD(p, obj, key, val_strv(p, _v, ret, ret_n));
}

static int val_kv(oci_pctx *p, const json_t *v, oci_kv **ret, size_t *ret_n)
{
        int r = oci_val_obj(p, v);
        if (r < 0)
                return r;
        size_t n = json_object_size(v);
        if (n > OCI_MAX_ARRAY)
                return oci_fail(p, "%zu entries, more than the limit of %d", n, OCI_MAX_ARRAY);
        oci_kv *a = calloc(n ? n : 1, sizeof(oci_kv));
        if (!a)
                return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
        oci_kv_free(*ret, *ret_n);
        *ret = a;
        *ret_n = n;
        const char *key;
        json_t *val;
        size_t i = 0;
        json_object_foreach((json_t *) v, key, val) {
                size_t m = oci_push_key(p, key);
                r = oci_val_str(p, val, &a[i].value);
                oci_pop(p, m);
                if (r < 0)
                        return r;
                a[i].key = strdup(key);
                if (!a[i].key)
                        return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
                i++;
        }
        return 0;
}

int oci_get_kv(oci_pctx *p, const json_t *obj, const char *key, oci_kv **ret, size_t *ret_n)
{
        return WITH_FIELD(p, obj, key, val_kv(p, _v, ret, ret_n));
}

static int val_objv(oci_pctx *p, const json_t *v, size_t size, oci_elem_fn fn, void **ret, size_t *ret_n)
{
        int r = val_arr(p, v);
        if (r < 0)
                return r;
        size_t n = json_array_size(v);
        char *a = calloc(n ? n : 1, size);
        if (!a)
                return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
        *ret = a;
        *ret_n = n;
        for (size_t i = 0; i < n; i++) {
                size_t m = oci_push_index(p, i);
                const json_t *e = json_array_get(v, i);
                r = oci_val_obj(p, e);
                if (r >= 0)
                        r = fn(p, e, a + i * size);
                oci_pop(p, m);
                if (r < 0)
                        return r;
        }
        return 0;
}

int oci_get_objv(oci_pctx *p, const json_t *obj, const char *key, size_t size, oci_elem_fn fn,
                 void **ret, size_t *ret_n)
{
        return WITH_FIELD(p, obj, key, val_objv(p, _v, size, fn, ret, ret_n));
}
