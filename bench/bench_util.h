/* Helpers shared by the C bench programs (bench_liblxd.c, bench_all.c). */
#ifndef LIBLXD_BENCH_UTIL_H
#define LIBLXD_BENCH_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `config` (a JSON object as liblxd gives it: compact, string values) with
 * "user.bench" set to `value`: an existing "user.bench" member is dropped
 * and the new one put first. `value` holds no quote or backslash, nor does
 * any earlier value of user.bench (this program wrote them). Free the
 * result with free(). */
static inline char *with_bench_key(const char *config, const char *value)
{
    static const char key[] = "\"user.bench\":\"";
    size_t n = strlen(config);
    char *rest = malloc(n + 1);
    if (!rest || config[0] != '{')
        return NULL;
    strcpy(rest, config + 1); /* the members and the closing brace */
    char *old = strstr(rest, key);
    if (old) {
        char *end = strchr(old + sizeof key - 1, '"');
        if (!end)
            return NULL;
        end++;
        if (*end == ',')
            end++;              /* drop the comma after it ... */
        else if (old > rest && old[-1] == ',')
            old--;              /* ... or, for the last member, the one before */
        memmove(old, end, strlen(end) + 1);
    }
    size_t len = n + strlen(value) + sizeof key + 8;
    char *out = malloc(len);
    if (!out)
        return NULL;
    snprintf(out, len, "{%s%s\"%s%s", key, value, strcmp(rest, "}") ? "," : "", rest);
    free(rest);
    return out;
}

#endif
