/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SCMP_ACT_NOTIFY: give the listener fd to the seccomp agent at
 * linux.seccomp.listenerPath, as the runtime-spec's "container process
 * state" (JSON payload, fd by SCM_RIGHTS, one message per connection). */
#include "seccomp_filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cleanup.h"

#define OCI_VERSION "1.2.0"
/* An agent that accepts but never reads must not hang ward forever. */
#define SEND_TIMEOUT_S 10

/* Re-emit a parsed tree, so the state object is embedded verbatim. */
static void gen_tree(yajl_gen g, yajl_val v) {
  if (v == NULL || YAJL_IS_NULL(v)) {
    yajl_gen_null(g);
  } else if (YAJL_IS_STRING(v)) {
    json_gen_str(g, YAJL_GET_STRING(v));
  } else if (YAJL_IS_NUMBER(v)) {
    const char *r = v->u.number.r;
    yajl_gen_number(g, r, strlen(r));
  } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
    yajl_gen_bool(g, YAJL_IS_TRUE(v));
  } else if (YAJL_IS_ARRAY(v)) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len; i++)
      gen_tree(g, v->u.array.values[i]);
    yajl_gen_array_close(g);
  } else if (YAJL_IS_OBJECT(v)) {
    yajl_gen_map_open(g);
    for (size_t i = 0; i < v->u.object.len; i++) {
      json_gen_str(g, v->u.object.keys[i]);
      gen_tree(g, v->u.object.values[i]);
    }
    yajl_gen_map_close(g);
  }
}

static void gen_freep(yajl_gen *g) {
  if (*g)
    yajl_gen_free(*g);
}
static void tree_freep(yajl_val *v) {
  if (*v)
    yajl_tree_free(*v);
}

static int build_payload(const struct spec_seccomp *s, const char *state_json,
                         char **out, size_t *len, werr_t *err) {
  __attribute__((cleanup(tree_freep))) yajl_val state = NULL;
  if (json_parse_buf(state_json, "container state", &state, err) < 0)
    return -1;
  if (json_want_object(state, "container state", err) < 0)
    return -1;
  yajl_val pid = json_get(state, "pid");
  if (pid == NULL || !YAJL_IS_INTEGER(pid))
    return werr(err, "container state: pid: must be an integer");

  __attribute__((cleanup(gen_freep))) yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_map_open(g);
  json_gen_str(g, "ociVersion");
  json_gen_str(g, OCI_VERSION);
  json_gen_str(g, "fds");
  yajl_gen_array_open(g);
  json_gen_str(g, "seccompFd");
  yajl_gen_array_close(g);
  json_gen_str(g, "pid");
  yajl_gen_integer(g, YAJL_GET_INTEGER(pid));
  if (s->listenerMetadata) {
    json_gen_str(g, "metadata");
    json_gen_str(g, s->listenerMetadata);
  }
  json_gen_str(g, "state");
  gen_tree(g, state);
  yajl_gen_map_close(g);

  const unsigned char *buf = NULL;
  size_t n = 0;
  if (yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok)
    return werr(err, "container process state: JSON generation failed");
  *out = malloc(n);
  if (*out == NULL)
    abort();
  memcpy(*out, buf, n);
  *len = n;
  return 0;
}

/* The first sendmsg carries the fd; a short write continues with plain
 * sends, as the runtime-spec allows. */
static int send_state(int sock, int fd, const char *buf, size_t len) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof(ctl));
  struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.buf,
                       .msg_controllen = sizeof(ctl.buf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t w;
  do
    w = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return -1;
  size_t done = (size_t)w;
  while (done < len) {
    w = send(sock, buf + done, len - done, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    done += (size_t)w;
  }
  return 0;
}

int seccomp_notify_forward(const struct spec_seccomp *s,
                           const char *state_json, int notify_fd, werr_t *err) {
  if (s == NULL || s->listenerPath == NULL)
    return werr_code(err, EINVAL, "linux.seccomp.listenerPath: not set");
  if (notify_fd < 0)
    return werr_code(err, EBADF, "linux.seccomp: no listener fd to forward");
  _cleanup_free_ char *payload = NULL;
  size_t len = 0;
  if (build_payload(s, state_json, &payload, &len, err) < 0)
    return -1;

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(s->listenerPath) >= sizeof(addr.sun_path))
    return werr_code(err, ENAMETOOLONG, "linux.seccomp.listenerPath: too long");
  strcpy(addr.sun_path, s->listenerPath);
  _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return werr_sys(err, "seccomp agent: socket");
  struct timeval tv = {.tv_sec = SEND_TIMEOUT_S};
  if (setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
    return werr_sys(err, "seccomp agent: set send timeout");
  if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return werr_sys(err, "seccomp agent: connect %s", s->listenerPath);
  if (send_state(sock, notify_fd, payload, len) < 0)
    return werr_sys(err, "seccomp agent: send state to %s", s->listenerPath);
  return 0;
}

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int seccomp_notify_fetch(int pidfd, int remote_fd, werr_t *err) {
  long fd = syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0);
  if (fd < 0)
    return werr_sys(err, "seccomp: take listener fd %d from the init",
                    remote_fd);
  char path[48], link[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
  ssize_t n = readlink(path, link, sizeof(link) - 1);
  link[n > 0 ? n : 0] = '\0';
  if (strcmp(link, "anon_inode:seccomp notify") != 0) {
    close((int)fd);
    return werr_code(err, EPROTO, "seccomp: fd %d of the init is not a listener",
                remote_fd);
  }
  return (int)fd;
}
