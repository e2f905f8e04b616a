#include "json.h"
#include "fileio.h"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

static int load_error(const char *name, const json_error_t *je, cella_error **err)
{
        if (je->line > 0)
                return err_setx(err, EINVAL, "%s:%d:%d: %s", name, je->line, je->column, je->text);
        return err_setx(err, EINVAL, "%s: %s", name, je->text);
}

int json_load_buffer(const char *name, const char *buf, size_t len, json_t **ret, cella_error **err)
{
        json_error_t je;
        json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
        if (!j)
                return load_error(name, &je, err);
        *ret = j;
        return 0;
}

int json_load_path(const char *path, size_t max_bytes, json_t **ret, cella_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, path, max_bytes, &buf, &len);
        if (r < 0)
                return r == -EFBIG ? err_setx(err, EFBIG, "%s: larger than %zu bytes", path, max_bytes)
                                   : err_set(err, -r, "read %s", path);
        return json_load_buffer(path, buf, len, ret, err);
}

int json_write_path(const char *path, json_t *obj, cella_error **err)
{
        _cleanup_free_ char *s = json_dumps(obj, JSON_COMPACT);
        if (!s)
                return err_setx(err, ENOMEM, "serialise %s", path);
        int r = write_file_atomic(path, s, strlen(s), 0600);
        if (r < 0)
                return err_set(err, -r, "write %s", path);
        return 0;
}

const char *json_type_name(const json_t *j)
{
        switch (json_typeof(j)) {
        case JSON_OBJECT: return "object";
        case JSON_ARRAY: return "array";
        case JSON_STRING: return "string";
        case JSON_INTEGER: return "integer";
        case JSON_REAL: return "number";
        case JSON_TRUE:
        case JSON_FALSE: return "boolean";
        case JSON_NULL: return "null";
        }
        return "unknown";
}
