/* Integers above INT64_MAX. jansson holds integers as int64 and refuses
 * larger ones, but uint64 fields legitimately carry them: podman writes an
 * unlimited rlimit as 18446744073709551615 (RLIM_INFINITY), as runc and crun
 * accept. When jansson refuses such a number, each one is swapped, in a copy
 * of the text, for a real number holding its index in a side table ("0.0",
 * padded with spaces so line:column of any later error stay right). That
 * is unambiguous only in a document with no real numbers of its own (the
 * spec has no real-valued fields), so a text that has any is left alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oci/internal.h"

static bool is_num_char(char c)
{
        return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

int oci_bigints_rewrite(const char *text, size_t len, char **ret_text, oci_bigints *ret)
{
        char *out = malloc(len ? len : 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, text, len);
        oci_bigints b = { 0 };
        size_t cap = 0;
        bool in_str = false, found = false;
        for (size_t i = 0; i < len; i++) {
                char ch = text[i];
                if (in_str) {
                        if (ch == '\\')
                                i++;
                        else if (ch == '"')
                                in_str = false;
                        continue;
                }
                if (ch == '"') {
                        in_str = true;
                        continue;
                }
                if (!((ch >= '0' && ch <= '9') || ch == '-'))
                        continue;
                size_t start = i;
                bool digits_only = true;        /* negative numbers are jansson's to judge */
                for (; i < len && is_num_char(text[i]); i++) {
                        if (text[i] == '.' || text[i] == 'e' || text[i] == 'E')
                                goto ambiguous;         /* a real of the document's own */
                        if (text[i] < '0' || text[i] > '9')
                                digits_only = false;
                }
                size_t n = i - start;
                i--;
                /* Above INT64_MAX means 19 or 20 digits. */
                if (!digits_only || n < 19 || n > 20)
                        continue;
                char digits[21];
                memcpy(digits, text + start, n);
                digits[n] = '\0';
                errno = 0;
                unsigned long long v = strtoull(digits, NULL, 10);
                if (errno != 0 || v <= INT64_MAX)
                        continue;
                if (b.n == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        uint64_t *nv = realloc(b.v, ncap * sizeof(uint64_t));
                        if (!nv) {
                                free(b.v);
                                free(out);
                                return -ENOMEM;
                        }
                        b.v = nv;
                        cap = ncap;
                }
                char idx[24];
                int k = snprintf(idx, sizeof(idx), "%zu.0", b.n);
                if (k < 0 || (size_t) k > n)
                        goto ambiguous;         /* cannot happen below 10^17 numbers */
                memset(out + start, ' ', n);
                memcpy(out + start, idx, (size_t) k);
                b.v[b.n++] = v;
                found = true;
        }
        if (!found)
                goto ambiguous;
        *ret_text = out;
        *ret = b;
        return 1;
ambiguous:
        free(b.v);
        free(out);
        return 0;
}

static int lookup(const oci_bigints *b, const json_t *v, uint64_t *ret)
{
        if (!b || !json_is_real(v))
                return -1;
        double d = json_real_value(v);
        if (!(d >= 0) || d >= (double) b->n || d != (double) (size_t) d)
                return -1;
        *ret = b->v[(size_t) d];
        return 0;
}

int oci_bigint_lookup(const oci_pctx *p, const json_t *v, uint64_t *ret)
{
        return lookup(p->big, v, ret);
}

/* Put the numbers back into the kept document, as the nearest real jansson
 * can hold (integers cannot go there). Recursion depth is bounded by
 * jansson's nesting limit (2048), with a small frame. */
void oci_bigints_restore(json_t *j, const oci_bigints *b)
{
        const char *key;
        json_t *v;
        size_t i;
        uint64_t u;
        if (json_is_object(j)) {
                json_object_foreach(j, key, v) {
                        if (lookup(b, v, &u) == 0)
                                json_real_set(v, (double) u);
                        else
                                oci_bigints_restore(v, b);
                }
        } else if (json_is_array(j)) {
                json_array_foreach(j, i, v) {
                        if (lookup(b, v, &u) == 0)
                                json_real_set(v, (double) u);
                        else
                                oci_bigints_restore(v, b);
                }
        }
}
