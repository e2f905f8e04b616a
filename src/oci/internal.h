/* Internal to src/oci: a parse context that tracks the JSON path of the
 * value being read, so that every error names it
 * ("config.json: linux.namespaces[2].type: ..."), and typed getters over
 * jansson built on it. Parse functions write straight into the config;
 * on failure the caller frees the whole, partly filled config. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "base/error.h"
#include "oci/config.h"

#define OCI_PATH_MAX 256
#define OCI_QUOTE_MAX 80

/* Integers above INT64_MAX, stood in for by reals holding their index (bigint.c). */
typedef struct oci_bigints {
        uint64_t *v;
        size_t n;
} oci_bigints;

typedef struct oci_pctx {
        const char *name;       /* file name for messages */
        const oci_bigints *big; /* NULL unless the text had such integers */
        cella_error **err;
        size_t len;
        char path[OCI_PATH_MAX];
} oci_pctx;

/* Push ".key" / "[i]" onto the path; return the mark to pop back to. */
size_t oci_push_key(oci_pctx *p, const char *key);
size_t oci_push_index(oci_pctx *p, size_t i);
static inline void oci_pop(oci_pctx *p, size_t mark) { p->len = mark; p->path[mark] = '\0'; }

/* "NAME: PATH: message"; returns -EINVAL. */
int oci_fail(oci_pctx *p, const char *fmt, ...) _printf_(2, 3);
int oci_type_error(oci_pctx *p, const char *want, const json_t *got);
/* Error on the field `key` of the current object. */
int oci_fail_key(oci_pctx *p, const char *key, const char *fmt, ...) _printf_(3, 4);
int oci_missing(oci_pctx *p, const char *key);

/* A user-controlled string made safe for a message: at most ~64 chars,
 * control and non-ASCII bytes shown as '?', inside double quotes. */
const char *oci_quote(char buf[OCI_QUOTE_MAX], const char *s);

/* The field `key` of obj; NULL when absent or JSON null (Go writes null
 * for empty slices and maps; runc treats it as absent). */
json_t *oci_field(const json_t *obj, const char *key);

/* Value converters: the path already names v. */
int oci_val_obj(oci_pctx *p, const json_t *v);
int oci_val_str(oci_pctx *p, const json_t *v, char **ret);
int oci_val_int(oci_pctx *p, const json_t *v, int64_t min, int64_t max, int64_t *ret);

/* Field getters: 0 when absent (ret untouched), 1 when read, <0 on error. */
int oci_get_obj(oci_pctx *p, const json_t *obj, const char *key, json_t **ret);
int oci_get_arr(oci_pctx *p, const json_t *obj, const char *key, json_t **ret);
int oci_get_str(oci_pctx *p, const json_t *obj, const char *key, char **ret);
int oci_get_bool(oci_pctx *p, const json_t *obj, const char *key, bool *ret);
int oci_get_int(oci_pctx *p, const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *ret);
int oci_get_u64(oci_pctx *p, const json_t *obj, const char *key, uint64_t *ret);
int oci_get_u32(oci_pctx *p, const json_t *obj, const char *key, uint32_t *ret);
/* Array of strings: NULL-terminated, count in *ret_n. */
int oci_get_strv(oci_pctx *p, const json_t *obj, const char *key, char ***ret, size_t *ret_n);
/* Object of string values. */
int oci_get_kv(oci_pctx *p, const json_t *obj, const char *key, oci_kv **ret, size_t *ret_n);

/* Array of objects: allocates n zeroed elements of `size` into *ret / *ret_n
 * (so a failure half-way leaves them for the config's free) and calls fn on
 * each with the path at key[i]. */
typedef int (*oci_elem_fn)(oci_pctx *p, const json_t *v, void *elem);
int oci_get_objv(oci_pctx *p, const json_t *obj, const char *key, size_t size, oci_elem_fn fn,
                 void **ret, size_t *ret_n);
#define OCI_GET_OBJV(p, obj, key, fn, arr, n)                                            \
        ({                                                                              \
                void *_a = NULL;                                                        \
                int _r = oci_get_objv((p), (obj), (key), sizeof(*(arr)), (fn), &_a, &(n)); \
                if (_a)                                                                 \
                        (arr) = _a;                                                     \
                _r;                                                                     \
        })

/* Sections (parse.c, parse_linux.c, parse_resources.c, parse_seccomp.c, mount.c). */
int oci_parse_process(oci_pctx *p, const json_t *v, oci_process *ret);
int oci_parse_hooks(oci_pctx *p, const json_t *v, oci_hooks *ret);
int oci_parse_mounts(oci_pctx *p, const json_t *root, oci_config *c);
int oci_parse_linux(oci_pctx *p, const json_t *v, oci_linux *ret);
int oci_parse_resources(oci_pctx *p, const json_t *v, oci_resources *ret);
int oci_parse_seccomp(oci_pctx *p, const json_t *v, oci_seccomp *ret);

/* Tables (names.c). */
int oci_ns_from_name(const char *name);
int oci_seccomp_action_from_name(const char *name);
int oci_seccomp_op_from_name(const char *name);
bool oci_seccomp_arch_known(const char *name);
bool oci_seccomp_flag_known(const char *name);
int oci_propagation_from_name(const char *name, unsigned long *ret_flags);

/* bigint.c: 1 and a rewritten copy of the text when it had integers above
 * INT64_MAX (and no reals), 0 when not, <0 on allocation failure. */
int oci_bigints_rewrite(const char *text, size_t len, char **ret_text, oci_bigints *ret);
/* The integer a stand-in real holds; -1 when v is not one. */
int oci_bigint_lookup(const oci_pctx *p, const json_t *v, uint64_t *ret);
void oci_bigints_restore(json_t *j, const oci_bigints *b);

/* Free helpers (free.c). */
void oci_strv_free(char **v, size_t n);
void oci_kv_free(oci_kv *kv, size_t n);
void oci_seccomp_clear(oci_seccomp *s);
