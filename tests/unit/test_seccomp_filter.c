/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_filter_prepare/install in forked children: each child loads a
 * filter and reports through its exit status what the kernel did to its
 * syscalls.  Also the BPF cache and the notify hand-off.  Runs as root
 * (the no-CAP_SYS_ADMIN case drops to nobody itself). */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux_seccomp.h"
#include "seccomp_cache.h"
#include "seccomp_filter.h"

#include "unit.h"

/* In a child: exit with the failing line so the parent can say which. */
#define CHILD_CHECK(cond)                                                      \
  do {                                                                         \
    if (!(cond))                                                               \
      _exit(__LINE__ % 250 + 1);                                              \
  } while (0)

static struct spec_seccomp *profile(const char *json) {
  yajl_val v = NULL;
  werr_t err = NULL;
  struct spec_seccomp *s = NULL;
  if (json_parse_buf(json, "test", &v, &err) < 0 ||
      spec_parse_seccomp(v, "linux.seccomp", &s, &err) < 0) {
    fprintf(stderr, "bad test profile: %s\n", err->msg);
    abort();
  }
  yajl_tree_free(v);
  return s;
}

static struct seccomp_prog *prepare(const struct spec_seccomp *s,
                                    const char *root) {
  struct seccomp_prog *p = NULL;
  werr_t err = NULL;
  if (seccomp_filter_prepare(s, root, &p, &err) < 0) {
    fprintf(stderr, "prepare: %s\n", werr_text(err));
    abort();
  }
  return p;
}

static void install_or_die(struct seccomp_prog *p, int *nfd) {
  werr_t err = NULL;
  int fd = -1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    _exit(201);
  if (seccomp_filter_install(p, nfd ? nfd : &fd, &err) < 0)
    _exit(202);
}

/* Fork; the child installs JSON's filter and runs BODY; returns the wait
 * status. */
static int run_filtered(const char *json, void (*body)(void)) {
  struct spec_seccomp *s = profile(json);
  struct seccomp_prog *p = prepare(s, NULL);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    install_or_die(p, NULL);
    body();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  seccomp_prog_free(p);
  spec_seccomp_free(s);
  return st;
}

static bool exited_ok(int st) {
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    return true;
  fprintf(stderr, "  child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
          WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
  return false;
}

static void body_mkdir_enosys(void) {
  CHILD_CHECK(syscall(SYS_mkdir, "/nonexistent-ward-test/x", 0700) == -1);
  CHILD_CHECK(errno == 38);
  CHILD_CHECK(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-ward-test/x",
                      0700) == -1);
  CHILD_CHECK(errno == ENOENT); /* not in the rule: reaches the kernel */
}

static void test_errno(void) {
  int st = run_filtered(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}",
      body_mkdir_enosys);
  CHECK(exited_ok(st));
}

static void body_getppid_errno99(void) {
  CHILD_CHECK(syscall(SYS_getppid) == -1 && errno == 99);
  CHILD_CHECK(syscall(SYS_getpid) > 0);
}

static void body_getppid_eperm(void) {
  CHILD_CHECK(syscall(SYS_getppid) == -1 && errno == EPERM);
}

static void test_default_errno(void) {
  /* Allow-list profile: what the child (and a sanitizer runtime in it)
   * needs after install; getppid is not in it. */
  const char *allow =
      "{\"names\":[\"exit_group\",\"exit\",\"getpid\",\"gettid\",\"brk\","
      "\"mmap\",\"munmap\",\"mprotect\",\"madvise\",\"rt_sigaction\","
      "\"rt_sigprocmask\",\"sigaltstack\",\"write\",\"read\",\"open\","
      "\"openat\",\"close\",\"fstat\",\"newfstatat\",\"readlink\",\"futex\","
      "\"sched_yield\",\"prctl\",\"prlimit64\",\"getrlimit\",\"tgkill\","
      "\"clock_gettime\"],\"action\":\"SCMP_ACT_ALLOW\"}";
  char json[1024];
  snprintf(json, sizeof(json),
           "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":99,"
           "\"syscalls\":[%s]}",
           allow);
  CHECK(exited_ok(run_filtered(json, body_getppid_errno99)));
  snprintf(json, sizeof(json),
           "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[%s]}", allow);
  CHECK(exited_ok(run_filtered(json, body_getppid_eperm)));
}

static void body_getppid(void) {
  syscall(SYS_getppid);
  _exit(0);
}

static void test_kill_and_trap(void) {
  static const char *const actions[] = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"};
  for (size_t i = 0; i < sizeof(actions) / sizeof(*actions); i++) {
    char json[256];
    snprintf(json, sizeof(json),
             "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
             "{\"names\":[\"getppid\"],\"action\":\"%s\"}]}",
             actions[i]);
    int st = run_filtered(json, body_getppid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
  }
  /* LOG lets the syscall through (and logs it). */
  int st = run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                        "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"}]}",
                        body_getppid);
  CHECK(exited_ok(st));
}

static void body_args(void) {
  /* getpgid(4242) is refused by the rule; getpgid(0) reaches the kernel. */
  CHILD_CHECK(syscall(SYS_getpgid, 4242) == -1 && errno == 11);
  CHILD_CHECK(syscall(SYS_getpgid, 0) > 0);
  /* umask(arg & 07 == 02) refused; other masks pass. */
  CHILD_CHECK(syscall(SYS_umask, 022) == -1 && errno == 12);
  CHILD_CHECK(syscall(SYS_umask, 027) >= 0);
  /* Two comparisons of the same argument: either one matches (runc). */
  CHILD_CHECK(syscall(SYS_getpriority, 1, 0) == -1 && errno == 13);
  CHILD_CHECK(syscall(SYS_getpriority, 2, 0) == -1 && errno == 13);
  CHILD_CHECK(syscall(SYS_getpriority, 0, 0) >= 0);
  /* Different arguments AND together. */
  CHILD_CHECK(syscall(SYS_getsid, 0) >= 0);
  CHILD_CHECK(syscall(SYS_setpgid, 5000, 6000) == -1 && errno == 14);
  CHILD_CHECK(syscall(SYS_setpgid, 5000, 6001) == -1 && errno == ESRCH);
  /* 64-bit values above INT64_MAX compare as unsigned. */
  CHILD_CHECK(syscall(SYS_lseek, 99, (long)-1, 0) == -1 && errno == 15);
}

static void test_args(void) {
  int st = run_filtered(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"getpgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":11,"
      " \"args\":[{\"index\":0,\"value\":4242,\"op\":\"SCMP_CMP_EQ\"}]},"
      "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":12,"
      " \"args\":[{\"index\":0,\"value\":7,\"valueTwo\":2,"
      "  \"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
      "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
      " \"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
      "           {\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]},"
      "{\"names\":[\"setpgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":14,"
      " \"args\":[{\"index\":0,\"value\":5000,\"op\":\"SCMP_CMP_EQ\"},"
      "           {\"index\":1,\"value\":6000,\"op\":\"SCMP_CMP_LE\"}]},"
      "{\"names\":[\"lseek\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":15,"
      " \"args\":[{\"index\":1,\"value\":18446744073709551615,"
      "  \"op\":\"SCMP_CMP_EQ\"}]}"
      "]}",
      body_args);
  CHECK(exited_ok(st));
}

static void test_unknown_and_redundant(void) {
  /* Unknown names are skipped; a rule equal to the default is dropped. */
  int st = run_filtered(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"no_such_syscall\",\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
      " \"errnoRet\":38},"
      "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
      body_mkdir_enosys);
  CHECK(exited_ok(st));
}

#ifdef __x86_64__
/* The i386 getpid (20) through the 32-bit entry point. */
static long int80_getpid(void) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
  return ret;
}

static void body_int80(void) {
  CHILD_CHECK(int80_getpid() == getpid());
}

static void test_architectures(void) {
  /* Without a filter first: the kernel may lack IA32 emulation. */
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0)
    _exit(int80_getpid() == getpid() ? 0 : 1);
  int st = 0;
  waitpid(pid, &st, 0);
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
    fprintf(stderr, "  (skipping architecture test: no IA32 emulation)\n");
    return;
  }
  /* x86 not listed: a 32-bit syscall hits the bad-arch action (kill). */
  st = run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
                    "[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":"
                    "[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
                    body_int80);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
  st = run_filtered("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
                    "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X86\"],"
                    "\"syscalls\":[{\"names\":[\"mkdir\"],"
                    "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                    body_int80);
  CHECK(exited_ok(st));
}
#endif

static void test_flags(void) {
  /* LOG and SPEC_ALLOW reach seccomp(2); WAIT_KILLABLE_RECV without a
   * listener is dropped rather than refused by the kernel. */
  int st = run_filtered(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":["
      "\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
      "\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
      "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
      "\"errnoRet\":38}]}",
      body_mkdir_enosys);
  CHECK(exited_ok(st));
}

static void test_needs_nnp_or_cap(void) {
  struct spec_seccomp *s = profile("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                                   "\"syscalls\":[{\"names\":[\"mkdir\"],"
                                   "\"action\":\"SCMP_ACT_ERRNO\"}]}");
  struct seccomp_prog *p = prepare(s, NULL);
  int pfd[2];
  CHECK(pipe(pfd) == 0);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    /* nobody, no capabilities, no no_new_privs: the kernel says EACCES. */
    if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
      _exit(3);
    werr_t err = NULL;
    int nfd = -1;
    if (seccomp_filter_install(p, &nfd, &err) == 0)
      _exit(4);
    char *t = werr_text(err);
    (void)!write(pfd[1], t, strlen(t));
    _exit(0);
  }
  close(pfd[1]);
  char buf[256] = "";
  ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
  buf[n > 0 ? n : 0] = '\0';
  close(pfd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK(exited_ok(st));
  CHECK(strcmp(buf, "linux.seccomp: load filter (needs "
                    "process.noNewPrivileges or CAP_SYS_ADMIN): Permission "
                    "denied") == 0);
  /* As root without no_new_privs, CAP_SYS_ADMIN is enough. */
  pid = fork();
  if (pid == 0) {
    werr_t err = NULL;
    int nfd = -1;
    _exit(seccomp_filter_install(p, &nfd, &err) == 0 ? 0 : 5);
  }
  waitpid(pid, &st, 0);
  CHECK(exited_ok(st));
  seccomp_prog_free(p);
  spec_seccomp_free(s);
}

/* ---- notify: the child's mkdir is answered by this process ---- */

static int answer_one(int nfd, int error, int64_t val, int *nr) {
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset(&req, 0, sizeof(req));
  if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return -1;
  *nr = req.data.nr;
  memset(&resp, 0, sizeof(resp));
  resp.id = req.id;
  resp.error = error;
  resp.val = val;
  return ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void test_notify(const char *tmpdir) {
  char sock_path[256], json[1024];
  snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", tmpdir);
  snprintf(json, sizeof(json),
           "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\","
           "\"listenerMetadata\":\"hello agent\","
           "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
           "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
           sock_path);
  struct spec_seccomp *s = profile(json);
  struct seccomp_prog *p = prepare(s, NULL);

  /* The agent's socket, listening before ward forwards. */
  int agent = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, sock_path);
  CHECK(bind(agent, (struct sockaddr *)&addr, sizeof(addr)) == 0);
  CHECK(listen(agent, 1) == 0);

  int pfd[2], ack[2];
  CHECK(pipe(pfd) == 0 && pipe(ack) == 0);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    close(ack[1]);
    int nfd = -1;
    install_or_die(p, &nfd);
    CHILD_CHECK(nfd >= 0);
    /* The init reports the listener by number with one write(2), and keeps
     * it open until ward has taken its own copy. */
    CHILD_CHECK(write(pfd[1], &nfd, sizeof(nfd)) == sizeof(nfd));
    char c;
    CHILD_CHECK(read(ack[0], &c, 1) == 1);
    close(nfd);
    CHILD_CHECK(syscall(SYS_mkdir, "/nonexistent-ward/a", 0700) == -1);
    CHILD_CHECK(errno == EXDEV);
    CHILD_CHECK(syscall(SYS_mkdir, "/nonexistent-ward/b", 0700) == 0);
    _exit(0);
  }
  close(pfd[1]);
  close(ack[0]);
  int remote = -1;
  CHECK(read(pfd[0], &remote, sizeof(remote)) == sizeof(remote));
  close(pfd[0]);

  /* ward's side: fetch the listener, forward it with the state. */
  werr_t err = NULL;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  CHECK(pidfd >= 0);
  int nfd = seccomp_notify_fetch(pidfd, remote, &err);
  CHECK(nfd >= 0);
  CHECK(write(ack[1], "k", 1) == 1);
  close(ack[1]);
  char state[256];
  snprintf(state, sizeof(state),
           "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\","
           "\"pid\":%d,\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}",
           pid);
  int rc = seccomp_notify_forward(s, state, nfd, &err);
  CHECK(rc == 0);
  if (rc < 0) {
    char *t = werr_text(err);
    fprintf(stderr, "  forward: %s\n", t);
    free(t);
    werr_free(&err);
  }
  close(nfd);
  close(pidfd);

  /* The agent's side: one message, the fd by SCM_RIGHTS.  Never block
   * the whole suite on a connection that did not come. */
  struct pollfd pfd_agent = {.fd = agent, .events = POLLIN};
  CHECK(poll(&pfd_agent, 1, 10000) == 1);
  if (rc < 0 || pfd_agent.revents == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(agent);
    unlink(sock_path);
    seccomp_prog_free(p);
    spec_seccomp_free(s);
    return;
  }
  int conn = accept4(agent, NULL, NULL, SOCK_CLOEXEC);
  CHECK(conn >= 0);
  char buf[4096] = "";
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr a;
  } ctl;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.b,
                       .msg_controllen = sizeof(ctl.b)};
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  CHECK(n > 0);
  buf[n > 0 ? n : 0] = '\0';
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  int agent_fd = -1;
  CHECK(c && c->cmsg_type == SCM_RIGHTS);
  if (c)
    memcpy(&agent_fd, CMSG_DATA(c), sizeof(int));
  char want[512];
  snprintf(want, sizeof(want),
           "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":%d,"
           "\"metadata\":\"hello agent\",\"state\":%s}",
           pid, state);
  CHECK(strcmp(buf, want) == 0);
  if (strcmp(buf, want) != 0)
    fprintf(stderr, "  got  %s\n  want %s\n", buf, want);
  char eof;
  CHECK(read(conn, &eof, 1) == 0); /* ward closed: one state per connection */
  close(conn);
  close(agent);
  unlink(sock_path);

  int nr1 = -1, nr2 = -1;
  CHECK(answer_one(agent_fd, -EXDEV, 0, &nr1) == 0);
  CHECK(answer_one(agent_fd, 0, 0, &nr2) == 0);
  CHECK(nr1 == SYS_mkdir && nr2 == SYS_mkdir);
  close(agent_fd);
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK(exited_ok(st));

  /* Forwarding to nobody is an error naming the socket. */
  CHECK(seccomp_notify_forward(s, state, 0, &err) < 0);
  char *t = werr_text(err);
  char wanterr[512];
  snprintf(wanterr, sizeof(wanterr),
           "seccomp agent: connect %s: No such file or directory", sock_path);
  CHECK(strcmp(t, wanterr) == 0);
  free(t);
  werr_free(&err);
  seccomp_prog_free(p);
  spec_seccomp_free(s);
}

/* ---- the BPF cache ---- */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *read_file(const char *path) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  char *buf = NULL;
  werr_t err = NULL;
  if (fd < 0 || read_all_fd(fd, &buf, NULL, &err) < 0) {
    fprintf(stderr, "cannot read %s\n", path);
    abort();
  }
  return buf;
}

static char *cache_entry(const char *root) {
  char cmd[1024];
  snprintf(cmd, sizeof(cmd), "ls %s/*.bpf 2>/dev/null", root);
  FILE *f = popen(cmd, "r");
  static char line[512];
  line[0] = '\0';
  if (f) {
    if (fgets(line, sizeof(line), f))
      line[strcspn(line, "\n")] = '\0';
    pclose(f);
  }
  return line;
}

static void test_cache(const char *tmpdir) {
  char root[256];
  snprintf(root, sizeof(root), "%s/seccomp", tmpdir);
  _cleanup_free_ char *json = read_file("tests/data/podman-seccomp.json");
  struct spec_seccomp *s = profile(json);

  double t0 = now_ms();
  struct seccomp_prog *first = prepare(s, root);
  double t1 = now_ms();
  struct seccomp_prog *second = prepare(s, root);
  double t2 = now_ms();
  CHECK(!seccomp_prog_from_cache(first));
  CHECK(seccomp_prog_from_cache(second));
  CHECK(seccomp_prog_len(first) == seccomp_prog_len(second));
  CHECK(seccomp_prog_len(first) > 100 && seccomp_prog_len(first) <= 4096);
  printf("  podman profile: %zu BPF instructions; compile %.2f ms, cached "
         "%.2f ms\n",
         seccomp_prog_len(first), t1 - t0, t2 - t1);

  char *entry = cache_entry(root);
  struct stat st;
  CHECK(stat(entry, &st) == 0 && (st.st_mode & 0777) == 0600);
  CHECK(stat(root, &st) == 0 && (st.st_mode & 0777) == 0700);

  /* The cached program behaves like the compiled one: run busybox true
   * under it (the podman profile must let a shell-like program start). */
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    install_or_die(second, NULL);
    CHILD_CHECK(syscall(SYS_getppid) > 0);
    /* clone3 is ENOSYS so libcs fall back to clone. */
    CHILD_CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS);
    /* not in the list: the default EPERM */
    CHILD_CHECK(syscall(SYS_reboot, 0, 0, 0, NULL) == -1 && errno == EPERM);
    CHILD_CHECK(syscall(SYS_socket, 40, SOCK_STREAM, 0) == -1 && errno == EPERM);
    execl("/bin/busybox", "true", NULL);
    _exit(99);
  }
  int wst = 0;
  waitpid(pid, &wst, 0);
  CHECK(exited_ok(wst));

  /* A damaged entry is a miss, recompiled and rewritten. */
  int fd = open(entry, O_WRONLY | O_TRUNC | O_CLOEXEC);
  CHECK(fd >= 0 && write(fd, "junk", 4) == 4);
  close(fd);
  struct seccomp_prog *third = prepare(s, root);
  CHECK(!seccomp_prog_from_cache(third));
  struct seccomp_prog *fourth = prepare(s, root);
  CHECK(seccomp_prog_from_cache(fourth));
  /* Writable by others: not trusted. */
  CHECK(chmod(entry, 0622) == 0);
  struct seccomp_prog *fifth = prepare(s, root);
  CHECK(!seccomp_prog_from_cache(fifth));

  /* A different profile gets its own entry; the same key under another
   * hash-named file (a planted collision) must not be loaded for it. */
  struct spec_seccomp *other = profile(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}");
  _cleanup_free_ char *key_other = seccomp_cache_key(other);
  _cleanup_free_ char *key_podman = seccomp_cache_key(s);
  CHECK(strcmp(key_other, key_podman) != 0);
  struct seccomp_prog *o1 = prepare(other, root);
  CHECK(!seccomp_prog_from_cache(o1));
  char cmd[2048];
  snprintf(cmd, sizeof(cmd), "cp %s /tmp/ward-test-podman.bpf", entry);
  CHECK(system(cmd) == 0);
  /* Overwrite OTHER's entry with podman's: same hash file, wrong key. */
  {
    werr_t err = NULL;
    struct sock_filter *insns = NULL;
    size_t len = 0;
    CHECK(seccomp_cache_load(root, key_other, &insns, &len, &err) == 1);
    free(insns);
  }
  snprintf(cmd, sizeof(cmd),
           "for f in %s/*.bpf; do [ \"$f\" = %s ] || "
           "cp /tmp/ward-test-podman.bpf \"$f\"; done; rm -f "
           "/tmp/ward-test-podman.bpf",
           root, entry);
  CHECK(system(cmd) == 0);
  struct seccomp_prog *o2 = prepare(other, root);
  CHECK(!seccomp_prog_from_cache(o2));
  CHECK(seccomp_prog_len(o2) == seccomp_prog_len(o1));

  /* A cache dir others can enter, or one swapped for a symlink, is not
   * used: its entries would become every container's filter. */
  CHECK(chmod(root, 0755) == 0);
  struct seccomp_prog *open_dir = prepare(other, root);
  CHECK(open_dir != NULL && !seccomp_prog_from_cache(open_dir));
  seccomp_prog_free(open_dir);
  CHECK(chmod(root, 0700) == 0);
  char moved[300], cmd2[1024];
  snprintf(moved, sizeof(moved), "%s.real", root);
  CHECK(rename(root, moved) == 0 && symlink(moved, root) == 0);
  struct seccomp_prog *via_link = prepare(other, root);
  CHECK(via_link != NULL && !seccomp_prog_from_cache(via_link));
  seccomp_prog_free(via_link);
  snprintf(cmd2, sizeof(cmd2), "rm -f %s && mv %s %s", root, moved, root);
  CHECK(system(cmd2) == 0);

  /* Bounded: storing many profiles keeps at most 64 entries. */
  for (int i = 0; i < 70; i++) {
    char js[256];
    snprintf(js, sizeof(js),
             "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
             "[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":%d}]}",
             i + 1);
    struct spec_seccomp *pi = profile(js);
    seccomp_prog_free(prepare(pi, root));
    spec_seccomp_free(pi);
  }
  snprintf(cmd2, sizeof(cmd2), "test $(ls %s | wc -l) -le 64", root);
  CHECK(system(cmd2) == 0);

  /* An unwritable state root costs the cache, not the container. */
  struct seccomp_prog *nocache = prepare(other, "/proc/ward-no-such-root");
  CHECK(nocache != NULL && !seccomp_prog_from_cache(nocache));

  seccomp_prog_free(first);
  seccomp_prog_free(second);
  seccomp_prog_free(third);
  seccomp_prog_free(fourth);
  seccomp_prog_free(fifth);
  seccomp_prog_free(o1);
  seccomp_prog_free(o2);
  seccomp_prog_free(nocache);
  spec_seccomp_free(other);
  spec_seccomp_free(s);
}

static void test_no_seccomp(void) {
  struct seccomp_prog *p = (void *)1;
  werr_t err = NULL;
  CHECK(seccomp_filter_prepare(NULL, "/tmp", &p, &err) == 0 && p == NULL);
  int nfd = 7;
  CHECK(seccomp_filter_install(NULL, &nfd, &err) == 0 && nfd == -1);
}

int main(void) {
  if (!unit_as_root("test_seccomp_filter"))
    return 0;
  char tmpdir[] = "/tmp/ward-seccomp-test.XXXXXX";
  if (mkdtemp(tmpdir) == NULL)
    abort();
  test_no_seccomp();
  test_errno();
  test_default_errno();
  test_kill_and_trap();
  test_args();
  test_unknown_and_redundant();
#ifdef __x86_64__
  test_architectures();
#endif
  test_flags();
  test_needs_nnp_or_cap();
  test_notify(tmpdir);
  test_cache(tmpdir);
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", tmpdir);
  return unit_summary("test_seccomp_filter");
}
