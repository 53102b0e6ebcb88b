/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp parser: the model it builds and the exact one-line error
 * for each kind of bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "linux_seccomp.h"

#include "unit.h"

/* Parse JSON as linux.seccomp; returns the error text (caller frees) or NULL
 * with *out set. */
static char *parse(const char *json, struct spec_seccomp **out) {
  yajl_val v = NULL;
  werr_t err = NULL;
  *out = NULL;
  if (json_parse_buf(json, "test", &v, &err) < 0) {
    fprintf(stderr, "bad test JSON: %s\n", err->msg);
    abort();
  }
  char *msg = NULL;
  if (spec_parse_seccomp(v, "linux.seccomp", out, &err) < 0) {
    msg = werr_text(err);
    werr_free(&err);
  }
  yajl_tree_free(v);
  return msg;
}

static void expect_error(int line, const char *json, const char *want) {
  struct spec_seccomp *s = NULL;
  char *got = parse(json, &s);
  if (got && strcmp(got, want) == 0) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "line %d: want error\n  %s\ngot\n  %s\n", line, want,
            got ? got : "(no error)");
  }
  free(got);
  spec_seccomp_free(s);
}
#define EXPECT_ERROR(json, want) expect_error(__LINE__, json, want)

static void test_full_model(void) {
  struct spec_seccomp *s = NULL;
  char *e = parse(
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
      "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\","
      "\"SCMP_ARCH_X32\"],"
      "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
      "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
      "\"listenerPath\":\"/run/agent.sock\",\"listenerMetadata\":\"meta\","
      "\"syscalls\":["
      " {\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
      " {\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
      " {\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
      "   {\"index\":0,\"value\":2114060288,\"valueTwo\":0,"
      "    \"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
      " {\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
      "   {\"index\":5,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_NE\"}]},"
      " {\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_NOTIFY\"},"
      " {\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7}"
      "]}",
      &s);
  CHECK(e == NULL);
  if (e) {
    fprintf(stderr, "unexpected: %s\n", e);
    free(e);
    return;
  }
  CHECK(s->defaultAction == SPEC_SCMP_ACT_ERRNO);
  CHECK(s->has_defaultErrnoRet && s->defaultErrnoRet == 1);
  CHECK(s->architectures_len == 3);
  CHECK(s->architectures[0] == SPEC_SCMP_ARCH_X86_64);
  CHECK(s->architectures[2] == SPEC_SCMP_ARCH_X32);
  CHECK(s->flags == (SPEC_SCMP_FLAG_LOG | SPEC_SCMP_FLAG_SPEC_ALLOW |
                     SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV | SPEC_SCMP_FLAG_TSYNC));
  CHECK(strcmp(s->listenerPath, "/run/agent.sock") == 0);
  CHECK(strcmp(s->listenerMetadata, "meta") == 0);
  CHECK(s->syscalls_len == 6);
  CHECK(strcmp(s->syscalls[0].names[1], "write") == 0);
  CHECK(s->syscalls[0].names[2] == NULL);
  CHECK(!s->syscalls[0].has_errnoRet);
  CHECK(s->syscalls[1].has_errnoRet && s->syscalls[1].errnoRet == 38);
  CHECK(s->syscalls[2].args_len == 1);
  CHECK(s->syscalls[2].args[0].op == SPEC_SCMP_CMP_MASKED_EQ);
  CHECK(s->syscalls[2].args[0].value == 2114060288u);
  CHECK(s->syscalls[3].args[0].index == 5);
  CHECK(s->syscalls[3].args[0].value == UINT64_MAX);
  CHECK(s->syscalls[3].args[0].valueTwo == 0);
  CHECK(s->syscalls[4].action == SPEC_SCMP_ACT_NOTIFY);
  CHECK(s->syscalls[5].action == SPEC_SCMP_ACT_TRACE);
  CHECK(spec_seccomp_uses_notify(s));
  spec_seccomp_free(s);
}

static void test_minimal_and_names(void) {
  struct spec_seccomp *s = NULL;
  char *e = parse("{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\","
                  "\"listenerPath\":\"\",\"syscalls\":[]}",
                  &s);
  CHECK(e == NULL);
  free(e);
  if (s) {
    CHECK(s->syscalls_len == 0 && s->architectures_len == 0 && s->flags == 0);
    CHECK(s->listenerPath == NULL); /* "" means unset */
    CHECK(!spec_seccomp_uses_notify(s));
  }
  spec_seccomp_free(s);

  for (int a = 0; a < SPEC_SCMP_ACT_COUNT; a++)
    CHECK(strncmp(spec_scmp_action_name(a), "SCMP_ACT_", 9) == 0);
  for (int a = 0; a < SPEC_SCMP_ARCH_COUNT; a++)
    CHECK(strncmp(spec_scmp_arch_name(a), "SCMP_ARCH_", 10) == 0);
  for (int o = 0; o < SPEC_SCMP_CMP_COUNT; o++)
    CHECK(strncmp(spec_scmp_op_name(o), "SCMP_CMP_", 9) == 0);
  CHECK(strcmp(spec_scmp_action_name(SPEC_SCMP_ACT_COUNT), "?") == 0);

  /* An unknown syscall name is not an error: it is skipped when compiled. */
  e = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
            "[\"no_such_syscall\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
            &s);
  CHECK(e == NULL);
  free(e);
  spec_seccomp_free(s);
}

static void test_errors(void) {
  EXPECT_ERROR("[]", "linux.seccomp: must be an object");
  EXPECT_ERROR("{}", "linux.seccomp.defaultAction: required");
  EXPECT_ERROR("{\"defaultAction\":7}",
               "linux.seccomp.defaultAction: must be a string");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_FOO\"}",
               "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
               "linux.seccomp.defaultErrnoRet: not supported with action "
               "\"SCMP_ACT_ALLOW\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
               "linux.seccomp.defaultErrnoRet: must be >= 0");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
               "\"defaultErrnoRet\":70000}",
               "linux.seccomp.defaultErrnoRet: must be <= 65535");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
               "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_VAX\"]}",
               "linux.seccomp.architectures[1]: unknown architecture "
               "\"SCMP_ARCH_VAX\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
               "\"SCMP_ARCH_X86_64\"}",
               "linux.seccomp.architectures: must be an array of strings");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"
               "[\"SECCOMP_FILTER_FLAG_BOGUS\"]}",
               "linux.seccomp.flags[0]: unknown flag "
               "\"SECCOMP_FILTER_FLAG_BOGUS\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
               "linux.seccomp.syscalls: must be an array");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[7]}",
               "linux.seccomp.syscalls[0]: must be an object");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"action\":\"SCMP_ACT_ERRNO\"}]}",
               "linux.seccomp.syscalls[0].names: required");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}",
               "linux.seccomp.syscalls[0].names: must contain at least one "
               "name");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\",\"\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
               "linux.seccomp.syscalls[0].names[1]: must not be empty");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\",3],\"action\":\"SCMP_ACT_ERRNO\"}]}",
               "linux.seccomp.syscalls[0].names[1]: must be a string");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"]}]}",
               "linux.seccomp.syscalls[0].action: required");
  EXPECT_ERROR(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ERRNO\"},"
      "{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ERRNO\"},"
      "{\"names\":[\"c\"],\"action\":\"SCMP_ACT_ERRNO\"},"
      "{\"names\":[\"d\"],\"action\":\"SCMP_ACT_FOO\"}]}",
      "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
               "\"errnoRet\":5}]}",
               "linux.seccomp.syscalls[0].errnoRet: not supported with action "
               "\"SCMP_ACT_ALLOW\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"errnoRet\":\"EPERM\"}]}",
               "linux.seccomp.syscalls[0].errnoRet: must be an integer");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":{}}]}",
               "linux.seccomp.syscalls[0].args: must be an array");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].index: required");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].value: required");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"index\":0,\"value\":1}]}]}",
               "linux.seccomp.syscalls[0].args[0].op: required");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].index: must be <= 5");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
               "{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_MASKED\"}]}]}",
               "linux.seccomp.syscalls[0].args[1].op: unknown operator "
               "\"SCMP_CMP_MASKED\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"index\":0,\"value\":-3,\"op\":\"SCMP_CMP_EQ\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].value: must be >= 0");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
               "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"index\":0,\"value\":1,\"valueTwo\":true,"
               "\"op\":\"SCMP_CMP_EQ\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].valueTwo: must be an "
               "integer");
}

static void test_notify_rules(void) {
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_NOTIFY\","
               "\"listenerPath\":\"/run/a.sock\"}",
               "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the "
               "default action");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
               "\"listenerPath\":\"/run/a.sock\",\"syscalls\":["
               "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
               "{\"names\":[\"mkdir\",\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}"
               "]}",
               "linux.seccomp.syscalls[1].names[1]: SCMP_ACT_NOTIFY cannot be "
               "used for \"write\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
               "\"listenerPath\":\"/run/a.sock\",\"syscalls\":["
               "{\"names\":[\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
               "linux.seccomp.syscalls[0].names[0]: SCMP_ACT_NOTIFY cannot be "
               "used for \"sendmsg\"");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
               "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
               "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is "
               "used");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
               "\"listenerMetadata\":\"x\"}",
               "linux.seccomp.listenerMetadata: set without listenerPath");
  EXPECT_ERROR("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
               "\"listenerPath\":\"agent.sock\"}",
               "linux.seccomp.listenerPath: must be an absolute path");
  char json[512];
  snprintf(json, sizeof(json),
           "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/%0120d\"}",
           0);
  EXPECT_ERROR(json, "linux.seccomp.listenerPath: longer than 107 bytes");
  /* A write rule that does not notify is fine. */
  struct spec_seccomp *s = NULL;
  char *e = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                  "\"listenerPath\":\"/run/a.sock\",\"syscalls\":["
                  "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_LOG\"},"
                  "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                  &s);
  CHECK(e == NULL);
  free(e);
  spec_seccomp_free(s);
}

int main(void) {
  test_full_model();
  test_minimal_and_names();
  test_errors();
  test_notify_rules();
  return unit_summary("test_seccomp_spec");
}
