/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources parsing, the v1->v2 conversions, cgroupsPath resolution
 * and the eBPF device program (built, loaded by the kernel's verifier).
 * Pure except for the BPF load.  JSON is written with single quotes. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_plan.h"
#include "cleanup.h"
#include "linux_resources.h"

#include "unit.h"

static struct spec_resources *parse(const char *json, char **errmsg) {
  _cleanup_free_ char *j = q(json);
  yajl_val v = NULL;
  werr_t err = NULL;
  struct spec_resources *r = NULL;
  *errmsg = NULL;
  if (json_parse_buf(j, "test", &v, &err) < 0 ||
      spec_parse_resources(v, "linux.resources", &r, &err) < 0) {
    *errmsg = werr_text(err);
    r = NULL;
  }
  werr_free(&err);
  yajl_tree_free(v);
  return r;
}

#define EXPECT_ERR(json, msg)                                                  \
  do {                                                                         \
    char *_m;                                                                  \
    struct spec_resources *_r = parse(json, &_m);                              \
    CHECK(_r == NULL);                                                         \
    CHECK_STR(_m, msg);                                                        \
    spec_resources_free(_r);                                                   \
    free(_m);                                                                  \
  } while (0)

static void test_full(void) {
  char *m;
  struct spec_resources *r = parse(
      "{'memory':{'limit':536870912,'reservation':268435456,'swap':1073741824,"
      "'kernel':-1,'kernelTCP':-1,'swappiness':0,'disableOOMKiller':true,"
      "'useHierarchy':true,'checkBeforeUpdate':true},"
      "'cpu':{'shares':1024,'quota':50000,'burst':10000,'period':100000,"
      "'realtimeRuntime':950000,'realtimePeriod':1000000,'cpus':'0-1',"
      "'mems':'0','idle':1},"
      "'pids':{'limit':32},"
      "'blockIO':{'weight':500,'leafWeight':300,'weightDevice':[{'major':8,"
      "'minor':0,'weight':600}],'throttleReadBpsDevice':[{'major':8,'minor':0,"
      "'rate':1048576}],'throttleWriteIOPSDevice':[{'major':8,'minor':16,"
      "'rate':300}]},"
      "'hugepageLimits':[{'pageSize':'2MB','limit':209715200}],"
      "'network':{'classID':1048577,'priorities':[{'name':'eth0',"
      "'priority':500}]},"
      "'rdma':{'mlx5_1':{'hcaHandles':3,'hcaObjects':10000}},"
      "'unified':{'memory.high':'1G'},"
      "'devices':[{'allow':false,'access':'rwm'},{'allow':true,'type':'c',"
      "'major':10,'minor':229,'access':'rw'}]}",
      &m);
  CHECK(r != NULL);
  if (m)
    fprintf(stderr, "unexpected: %s\n", m);
  free(m);
  if (r == NULL)
    return;
  CHECK(r->memory.present && r->memory.has_limit &&
        r->memory.limit == 536870912);
  CHECK(r->memory.has_swap && r->memory.swap == 1073741824);
  CHECK(r->memory.has_kernel && r->memory.kernel == -1);
  CHECK(r->memory.has_swappiness && r->memory.swappiness == 0);
  CHECK(r->memory.has_disableOOMKiller && r->memory.disableOOMKiller);
  CHECK(r->memory.has_checkBeforeUpdate && r->memory.checkBeforeUpdate);
  CHECK(r->cpu.has_shares && r->cpu.shares == 1024);
  CHECK(r->cpu.has_quota && r->cpu.quota == 50000);
  CHECK(r->cpu.has_burst && r->cpu.burst == 10000);
  CHECK(r->cpu.has_idle && r->cpu.idle == 1);
  CHECK_STR(r->cpu.cpus, "0-1");
  CHECK_STR(r->cpu.mems, "0");
  CHECK(r->pids.present && r->pids.limit == 32);
  CHECK(r->blockIO.has_weight && r->blockIO.weight == 500);
  CHECK(r->blockIO.weightDevice_len == 1 &&
        r->blockIO.weightDevice[0].weight == 600 &&
        !r->blockIO.weightDevice[0].has_leafWeight);
  CHECK(r->blockIO.throttleReadBpsDevice.len == 1 &&
        r->blockIO.throttleReadBpsDevice.items[0].rate == 1048576);
  CHECK(r->blockIO.throttleWriteIOPSDevice.len == 1 &&
        r->blockIO.throttleWriteIOPSDevice.items[0].minor == 16);
  CHECK(r->hugepageLimits_len == 1 &&
        strcmp(r->hugepageLimits[0].pageSize, "2MB") == 0);
  CHECK(r->network.has_classID && r->network.classID == 1048577);
  CHECK(r->network.priorities_len == 1 &&
        r->network.priorities[0].priority == 500);
  CHECK(r->rdma_len == 1 && r->rdma[0].hcaHandles == 3 &&
        r->rdma[0].hcaObjects == 10000);
  CHECK_STR(kvlist_get(&r->unified, "memory.high"), "1G");
  CHECK(r->has_devices && r->devices_len == 2);
  CHECK(r->devices[0].type == 'a' && !r->devices[0].allow &&
        r->devices[0].major == -1 && r->devices[0].access == SPEC_DEV_ACC_ALL);
  CHECK(r->devices[1].type == 'c' && r->devices[1].major == 10 &&
        r->devices[1].minor == 229 &&
        r->devices[1].access == (SPEC_DEV_ACC_READ | SPEC_DEV_ACC_WRITE));
  struct spec_device d[2] = {{.type = "c", .major = 1, .minor = 3},
                             {.type = "p"}};
  spec_resources_allow_devices(r, d, 2);
  CHECK(r->config_devices_len == 1 && r->config_devices[0].allow &&
        r->config_devices[0].major == 1);
  spec_resources_free(r);
}

static void test_zero_means_unset(void) {
  char *m;
  struct spec_resources *r =
      parse("{'memory':{'limit':0,'swap':0},'cpu':{'shares':0,'quota':0,"
            "'period':0},'devices':[]}",
            &m);
  CHECK(r != NULL);
  free(m);
  if (r == NULL)
    return;
  CHECK(r->memory.present && !r->memory.has_limit && !r->memory.has_swap);
  CHECK(!r->cpu.has_shares && !r->cpu.has_quota && !r->cpu.has_period);
  CHECK(r->has_devices && r->devices_len == 0);
  spec_resources_free(r);
}

static void test_errors(void) {
  EXPECT_ERR("[]", "linux.resources: must be an object");
  EXPECT_ERR("{'memory':{'limit':-2}}",
             "linux.resources.memory.limit: must be -1 (unlimited) or >= 0");
  EXPECT_ERR("{'memory':{'limit':'1G'}}",
             "linux.resources.memory.limit: must be an integer");
  EXPECT_ERR("{'memory':{'limit':1000000,'swap':500000}}",
             "linux.resources.memory.swap: must be >= memory.limit (it "
             "limits memory+swap)");
  EXPECT_ERR("{'memory':{'swappiness':101}}",
             "linux.resources.memory.swappiness: must be between 0 and 100");
  EXPECT_ERR("{'memory':{'disableOOMKiller':1}}",
             "linux.resources.memory.disableOOMKiller: must be a boolean");
  EXPECT_ERR("{'cpu':{'shares':1}}",
             "linux.resources.cpu.shares: must be between 2 and 262144");
  EXPECT_ERR("{'cpu':{'quota':999}}",
             "linux.resources.cpu.quota: must be -1 (unlimited) or >= 1000");
  EXPECT_ERR("{'cpu':{'period':2000000}}",
             "linux.resources.cpu.period: must be between 1000 and 1000000");
  EXPECT_ERR("{'cpu':{'quota':10000,'burst':20000}}",
             "linux.resources.cpu.burst: must not be larger than quota");
  EXPECT_ERR("{'cpu':{'cpus':'1-0'}}",
             "linux.resources.cpu.cpus: \"1-0\" is not a CPU list like "
             "\"0-3,5\"");
  EXPECT_ERR("{'cpu':{'mems':'a'}}",
             "linux.resources.cpu.mems: \"a\" is not a memory node list like "
             "\"0-1\"");
  EXPECT_ERR("{'cpu':{'idle':2}}", "linux.resources.cpu.idle: must be 0 or 1");
  EXPECT_ERR("{'pids':{}}", "linux.resources.pids.limit: required");
  EXPECT_ERR("{'blockIO':{'weight':5}}",
             "linux.resources.blockIO.weight: must be between 10 and 1000");
  EXPECT_ERR("{'blockIO':{'weightDevice':[{'major':8,'minor':0}]}}",
             "linux.resources.blockIO.weightDevice[0]: needs weight or "
             "leafWeight");
  EXPECT_ERR("{'blockIO':{'throttleReadBpsDevice':[{'major':8,'rate':1}]}}",
             "linux.resources.blockIO.throttleReadBpsDevice[0].minor: "
             "required");
  EXPECT_ERR("{'hugepageLimits':[{'pageSize':'2M','limit':1}]}",
             "linux.resources.hugepageLimits[0].pageSize: \"2M\" is not a "
             "size like \"2MB\" or \"1GB\"");
  EXPECT_ERR("{'hugepageLimits':[{'pageSize':'2MB'}]}",
             "linux.resources.hugepageLimits[0].limit: required");
  EXPECT_ERR("{'network':{'priorities':[{'name':'','priority':1}]}}",
             "linux.resources.network.priorities[0].name: \"\" is not an "
             "interface name");
  EXPECT_ERR("{'rdma':{'mlx5_1':{}}}",
             "linux.resources.rdma.mlx5_1: needs hcaHandles or hcaObjects");
  EXPECT_ERR("{'unified':{'../memory.max':'1'}}",
             "linux.resources.unified.../memory.max: not a cgroup v2 file "
             "name like \"memory.high\"");
  EXPECT_ERR("{'unified':{'cgroup.procs':'1'}}",
             "linux.resources.unified.cgroup.procs: managed by ward, cannot "
             "be set");
  EXPECT_ERR("{'unified':{'memory.max':1}}",
             "linux.resources.unified.memory.max: must be a string");
  EXPECT_ERR("{'devices':[{'access':'rwm'}]}",
             "linux.resources.devices[0].allow: required");
  EXPECT_ERR("{'devices':[{'allow':true,'type':'x'}]}",
             "linux.resources.devices[0].type: must be \"a\", \"c\" or \"b\"");
  EXPECT_ERR("{'devices':[{'allow':true,'access':'rx'}]}",
             "linux.resources.devices[0].access: \"rx\" must be made of r, w "
             "and m");
  EXPECT_ERR("{'devices':[{'allow':true,'major':-5}]}",
             "linux.resources.devices[0].major: must be -1 (any) or 0..4095");
}

static void test_helpers(void) {
  CHECK(spec_check_cpuset_list("0") == 0);
  CHECK(spec_check_cpuset_list("0-3,5,7-8") == 0);
  CHECK(spec_check_cpuset_list("") < 0);
  CHECK(spec_check_cpuset_list("0,") < 0);
  CHECK(spec_check_cpuset_list("3-1") < 0);
  CHECK(spec_hugepage_size_bytes("2MB") == 2u << 20);
  CHECK(spec_hugepage_size_bytes("1GB") == 1u << 30);
  CHECK(spec_hugepage_size_bytes("64KB") == 64u << 10);
  CHECK(spec_hugepage_size_bytes("2mb") == 0);
  CHECK(spec_device_access_bits("rwm") == 7);
  CHECK(spec_device_access_bits("rr") == -1);
  /* runc's formulas. */
  CHECK(cg_shares_to_weight(2) == 1);
  CHECK(cg_shares_to_weight(1024) == 39);
  CHECK(cg_shares_to_weight(262144) == 10000);
  CHECK(cg_blkio_to_io_weight(10) == 1);
  CHECK(cg_blkio_to_io_weight(500) == 4950);
  CHECK(cg_blkio_to_io_weight(1000) == 10000);
}

static void path_ok(const char *id, const char *cp, bool systemd,
                    const char *want, int line) {
  char *out = NULL;
  werr_t err = NULL;
  if (cgroup_resolve_path(id, cp, systemd, &out, &err) < 0) {
    failed++;
    fprintf(stderr, "line %d: FAIL: %s\n", line, err->msg);
  } else if (strcmp(out, want) != 0) {
    failed++;
    fprintf(stderr, "line %d: FAIL: got %s want %s\n", line, out, want);
  } else {
    passed++;
  }
  free(out);
  werr_free(&err);
}

static void path_err(const char *cp, bool systemd, const char *want, int line) {
  char *out = NULL;
  werr_t err = NULL;
  if (cgroup_resolve_path("x", cp, systemd, &out, &err) == 0) {
    failed++;
    fprintf(stderr, "line %d: FAIL: accepted, got %s\n", line, out);
  } else if (strcmp(err->msg, want) != 0) {
    failed++;
    fprintf(stderr, "line %d: FAIL: got \"%s\" want \"%s\"\n", line, err->msg,
            want);
  } else {
    passed++;
  }
  free(out);
  werr_free(&err);
}

static void test_paths(void) {
  path_ok("c1", NULL, false, "/ward/c1", __LINE__);
  path_ok("c1", "", false, "/ward/c1", __LINE__);
  path_ok("c1", "/a/b", false, "/a/b", __LINE__);
  path_ok("c1", "//a///b/", false, "/a/b", __LINE__);
  path_ok("c1", "pod1/c1", false, "/ward/pod1/c1", __LINE__);
  path_ok("c1", "machine.slice:libpod:abc", false,
          "/machine.slice/libpod-abc.scope", __LINE__);
  path_ok("c1", "a-b-c.slice:pfx:n", true,
          "/a.slice/a-b.slice/a-b-c.slice/pfx-n.scope", __LINE__);
  path_ok("c1", ":ward:c1", true, "/system.slice/ward-c1.scope", __LINE__);
  path_ok("c1", "-.slice::n", true, "/n.scope", __LINE__);
  path_ok("c1", "", true, "/system.slice/ward-c1.scope", __LINE__);
  /* Not the systemd form: a plain (relative) name with colons. */
  path_ok("c1", "a:b", false, "/ward/a:b", __LINE__);
  path_err("/a/../b", false,
           "linux.cgroupsPath: \"/a/../b\" must not contain \".\" or \"..\"",
           __LINE__);
  path_err("/", false, "linux.cgroupsPath: \"/\" is the root cgroup", __LINE__);
  path_err("/a/b", true,
           "linux.cgroupsPath: \"/a/b\" must be slice:prefix:name with "
           "--systemd-cgroup",
           __LINE__);
  path_err("a--b.slice:p:n", true,
           "linux.cgroupsPath: \"a--b.slice\" is not a valid slice name",
           __LINE__);
  path_err("system.slice:p:", true,
           "linux.cgroupsPath: \"system.slice:p:\" has an empty name",
           __LINE__);
}

static void test_bpf(void) {
  struct spec_res_device_rule rules[] = {
      {false, 'a', -1, -1, SPEC_DEV_ACC_ALL},
      {true, 'c', 1, 3, SPEC_DEV_ACC_READ | SPEC_DEV_ACC_WRITE},
      {false, 'c', 1, 3, SPEC_DEV_ACC_WRITE},
      {true, 'b', -1, -1, SPEC_DEV_ACC_MKNOD},
  };
  struct bpf_insn *insns = NULL;
  size_t len = 0;
  cg_bpf_build(rules, 4, &insns, &len);
  /* 6 loads, per bit a 3-instruction guard plus the rules covering it, and
   * the final "allow". */
  CHECK(len > 10 && len < 80);
  CHECK(insns[len - 1].code == (BPF_JMP | BPF_EXIT));
  /* Every jump lands inside the program. */
  bool in_range = true;
  for (size_t i = 0; i < len; i++) {
    uint8_t cls = insns[i].code & 0x07;
    if (cls == BPF_JMP && (insns[i].code & 0xf0) != BPF_EXIT &&
        (long)i + 1 + insns[i].off >= (long)len)
      in_range = false;
  }
  CHECK(in_range);
  free(insns);
  /* The kernel's verifier accepts it (needs CAP_BPF / root). */
  if (geteuid() == 0) {
    werr_t err = NULL;
    int fd = cg_bpf_load(rules, 4, &err);
    if (fd < 0)
      fprintf(stderr, "bpf load: %s\n", err ? err->msg : "?");
    CHECK(fd >= 0);
    if (fd >= 0)
      close(fd);
    werr_free(&err);
    /* An empty rule list is a valid deny-all program. */
    fd = cg_bpf_load(NULL, 0, &err);
    CHECK(fd >= 0);
    if (fd >= 0)
      close(fd);
    werr_free(&err);
  }
}

int main(void) {
  test_full();
  test_zero_means_unset();
  test_errors();
  test_helpers();
  test_paths();
  test_bpf();
  return unit_summary("test_resources");
}
