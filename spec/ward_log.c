/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The log sink: stderr plus --log, text or JSON.  It lives beside the error
 * type so that both the CLI (errors) and any subsystem (warnings) write
 * through the same code and the same format. */
#include "json.h"
#include "ward_error.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

static struct {
  char *path;
  bool json;
} sink;

void ward_log_setup(const char *path, bool json) {
  free(sink.path);
  sink.path = path ? strdup(path) : NULL;
  sink.json = json;
}

/* Length of the valid UTF-8 sequence at P (1-4), or 0 when it is not one:
 * overlongs, surrogates (what "\udcff" decodes to) and > U+10FFFF are
 * invalid, as in RFC 3629. */
static size_t utf8_seq(const unsigned char *p) {
  unsigned char c = p[0];
  if (c < 0x80)
    return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0)
    n = 2, cp = c & 0x1f;
  else if ((c & 0xf0) == 0xe0)
    n = 3, cp = c & 0x0f;
  else if ((c & 0xf8) == 0xf0)
    n = 4, cp = c & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

char *ward_log_clean(const char *s) {
  size_t len = strlen(s);
  char *out = malloc(len * 3 + 1);
  if (out == NULL)
    abort();
  char *o = out;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    size_t n = utf8_seq(p);
    if (n == 0) {
      memcpy(o, "\xef\xbf\xbd", 3);
      o += 3;
      p++;
    } else if (*p == '\n' || *p == '\r') {
      *o++ = ' ';
      p++;
    } else {
      memcpy(o, p, n);
      o += n;
      p += n;
    }
  }
  *o = '\0';
  return out;
}

/* Y-M-D of DAYS since 1970-01-01 (proleptic Gregorian, H. Hinnant's
 * civil_from_days).  Not gmtime_r: glibc's first call of it reads
 * /etc/localtime (tzset) for a UTC stamp that needs no zone. */
static void civil_from_days(long long days, int *y, int *m, int *d) {
  days += 719468;
  long long era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

char *now_rfc3339(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
  int y, m, d;
  civil_from_days(days, &y, &m, &d);
  char *s = NULL;
  if (asprintf(&s, "%04d-%02d-%02dT%02lld:%02lld:%02lld.%09ldZ", y, m, d,
               secs / 3600, secs / 60 % 60, secs % 60, ts.tv_nsec) < 0)
    abort();
  return s;
}

static void write_line(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w <= 0)
      return;
    buf += w;
    len -= (size_t)w;
  }
}

void ward_log_line(const char *level, const char *text) {
  if (sink.path == NULL)
    return;
  int fd = open(sink.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  char *msg = ward_log_clean(text), *t = now_rfc3339(), *line = NULL;
  if (sink.json) {
    /* The shim shows the "msg" of the last JSON line to the user. */
    yajl_gen g = yajl_gen_alloc(NULL);
    yajl_gen_map_open(g);
    json_gen_str(g, "level");
    json_gen_str(g, level);
    json_gen_str(g, "msg");
    json_gen_str(g, msg);
    json_gen_str(g, "time");
    json_gen_str(g, t);
    yajl_gen_map_close(g);
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(g, &buf, &len);
    if (asprintf(&line, "%.*s\n", (int)len, buf) < 0)
      abort();
    yajl_gen_free(g);
  } else {
    /* logrus quotes msg: escape what would end or confuse the quoting. */
    char *q = malloc(strlen(msg) * 2 + 1), *o = q;
    if (q == NULL)
      abort();
    for (const char *p = msg; *p; p++) {
      if (*p == '"' || *p == '\\')
        *o++ = '\\';
      *o++ = *p;
    }
    *o = '\0';
    if (asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"\n", t, level, q) < 0)
      abort();
    free(q);
  }
  /* One write per line: concurrent wards appending to one log interleave
   * whole lines only. */
  write_line(fd, line, strlen(line));
  free(line);
  free(msg);
  free(t);
  close(fd);
}

void ward_warn(const char *fmt, ...) {
  char *text = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&text, fmt, ap) < 0)
    abort();
  va_end(ap);
  char *clean = ward_log_clean(text);
  dprintf(2, "ward: warning: %s\n", clean);
  ward_log_line("warning", clean);
  free(clean);
  free(text);
}
