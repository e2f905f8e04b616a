/* JSON helpers over jansson that produce errors naming the file, line and
 * column of a syntax error, or the JSON path of a field of the wrong type. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "error.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* Parse a file (at most max_bytes). Errors read "FILE:LINE:COLUMN: reason". */
int json_load_path(const char *path, size_t max_bytes, json_t **ret, cella_error **err);
int json_load_buffer(const char *name, const char *buf, size_t len, json_t **ret, cella_error **err);

/* Write atomically (tmp file + rename), mode 0600. */
int json_write_path(const char *path, json_t *obj, cella_error **err);

const char *json_type_name(const json_t *j);
