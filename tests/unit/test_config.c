/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.json parsing and validation: every field lands in the model, every
 * rejection reads exactly as documented. JSON below is written with single
 * quotes (q() turns them into double quotes) to stay readable. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "default_config.h"
#include "linux_resources.h"
#include "linux_seccomp.h"
#include "oci_features.h"

#include "unit.h"

static struct spec_config *parse_ok(const char *json, int line) {
  _cleanup_free_ char *j = q(json);
  struct spec_config *c = NULL;
  werr_t err = NULL;
  if (spec_config_parse(j, &c, &err) < 0) {
    failed++;
    fprintf(stderr, "test_config.c:%d: FAIL: unexpected error: %s\n", line,
            err->msg);
    werr_free(&err);
    return NULL;
  }
  passed++;
  return c;
}

static void expect_err(const char *json, const char *want, int line) {
  _cleanup_free_ char *j = q(json);
  struct spec_config *c = NULL;
  werr_t err = NULL;
  if (spec_config_parse(j, &c, &err) == 0) {
    failed++;
    fprintf(stderr, "test_config.c:%d: FAIL: parsed, want error: %s\n", line,
            want);
    spec_config_free(c);
    return;
  }
  _cleanup_free_ char *full = NULL;
  if (asprintf(&full, "config.json: %s", want) < 0)
    abort();
  if (strcmp(err->msg, full) == 0 && strchr(err->msg, '\n') == NULL &&
      c == NULL) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "test_config.c:%d: FAIL\n  got:  %s\n  want: %s\n", line,
            err->msg, full);
  }
  werr_free(&err);
}
#define PARSE_OK(j) parse_ok(j, __LINE__)
#define EXPECT_ERR(j, msg) expect_err(j, msg, __LINE__)

/* Minimal valid prefixes the error cases extend. */
#define ROOT "'root':{'path':'rootfs'}"
#define LINUX(x) "{" ROOT ",'linux':{" x "}}"
#define PROC(x) "{" ROOT ",'process':{" x "}}"

static const char full_config[] =
    "{'ociVersion':'1.2.0',"
    " 'root':{'path':'rootfs','readonly':true},"
    " 'mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
    "  {'destination':'/data','type':'bind','source':'/srv','options':['rbind','ro'],"
    "   'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
    "   'gidMappings':[{'containerID':0,'hostID':100000,'size':65536}]}],"
    " 'process':{'terminal':true,'consoleSize':{'height':25,'width':80},"
    "  'user':{'uid':1000,'gid':1001,'umask':18,'additionalGids':[5,6,7]},"
    "  'args':['sh','-c','echo hi'],'env':['PATH=/bin','A=b=c'],'cwd':'/tmp',"
    "  'capabilities':{'bounding':['CAP_KILL','CAP_CHOWN'],'effective':['CAP_KILL'],"
    "   'inheritable':[],'permitted':['CAP_KILL'],'ambient':['CAP_KILL']},"
    "  'rlimits':[{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096},"
    "   {'type':'RLIMIT_CORE','soft':0,'hard':18446744073709551615}],"
    "  'noNewPrivileges':true,'apparmorProfile':'ward-default','oomScoreAdj':-500,"
    "  'selinuxLabel':'system_u:system_r:container_t:s0',"
    "  'scheduler':{'policy':'SCHED_FIFO','nice':-5,'priority':10,"
    "   'flags':['SCHED_FLAG_RESET_ON_FORK'],'runtime':1,'deadline':2,'period':3},"
    "  'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':4},"
    "  'execCPUAffinity':{'initial':'0-1,3','final':'1'},"
    "  'unknownField':{'ignored':true}},"
    " 'hostname':'box','domainname':'example.org',"
    " 'hooks':{'prestart':[{'path':'/bin/pre'}],"
    "  'createRuntime':[{'path':'/bin/cr','args':['cr','x'],'env':['K=V'],'timeout':5}],"
    "  'createContainer':[{'path':'/bin/cc'}],'startContainer':[{'path':'/bin/sc'}],"
    "  'poststart':[{'path':'/bin/ps1'},{'path':'/bin/ps2'}],'poststop':[{'path':'/bin/pst'}]},"
    " 'annotations':{'org.example.a':'1','org.example.b':'two'},"
    " 'linux':{"
    "  'namespaces':[{'type':'pid'},{'type':'network','path':'/var/run/netns/x'},"
    "   {'type':'mount'},{'type':'ipc'},{'type':'uts'},{'type':'user'},"
    "   {'type':'cgroup'},{'type':'time'}],"
    "  'uidMappings':[{'containerID':0,'hostID':1000,'size':1},"
    "   {'containerID':1,'hostID':100000,'size':65535}],"
    "  'gidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
    "  'timeOffsets':{'monotonic':{'secs':3600,'nanosecs':5},'boottime':{'secs':-10}},"
    "  'devices':[{'type':'c','path':'/dev/fuse','major':10,'minor':229,"
    "    'fileMode':438,'uid':0,'gid':0},{'type':'p','path':'/dev/fifo'}],"
    "  'cgroupsPath':'/ward/full','rootfsPropagation':'rslave',"
    "  'resources':{'devices':[{'allow':false,'access':'rwm'}]},"
    "  'maskedPaths':['/proc/kcore'],'readonlyPaths':['/proc/sys','/proc/bus'],"
    "  'mountLabel':'system_u:object_r:container_file_t:s0',"
    "  'sysctl':{'net.ipv4.ip_forward':'1','kernel.shmmax':'1000',"
    "   'kernel/hostname':'h'},"
    "  'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'},"
    "  'personality':{'domain':'LINUX32','flags':[]},"
    "  'intelRdt':{'closID':'grp','l3CacheSchema':'L3:0=ff','memBwSchema':'MB:0=50',"
    "   'enableCMT':true,'enableMBM':true},"
    "  'netDevices':{'eth1':{'name':'ctr0'},'dummy0':{}}"
    " },"
    " 'solaris':{'milestone':'ignored'}}";

static void test_full(void) {
  struct spec_config *c = PARSE_OK(full_config);
  if (c == NULL)
    return;
  CHECK_STR(c->ociVersion, "1.2.0");
  CHECK_STR(c->root_path, "rootfs");
  CHECK(c->root_readonly);
  CHECK(c->mounts_len == 2);
  CHECK_STR(c->mounts[1].destination, "/data");
  CHECK_STR(c->mounts[1].type, "bind");
  CHECK_STR(c->mounts[1].source, "/srv");
  CHECK(strv_len(c->mounts[1].options) == 2);
  CHECK_STR(c->mounts[1].options[1], "ro");
  CHECK(c->mounts[0].options == NULL);
  CHECK(c->mounts[1].uidMappings.len == 1 &&
        c->mounts[1].uidMappings.items[0].hostID == 100000 &&
        c->mounts[1].uidMappings.items[0].size == 65536);
  CHECK(c->mounts[1].gidMappings.len == 1);

  struct spec_process *p = &c->process;
  CHECK(c->has_process);
  CHECK(p->terminal);
  CHECK(p->has_consoleSize && p->consoleSize_height == 25 &&
        p->consoleSize_width == 80);
  CHECK(p->user.uid == 1000 && p->user.gid == 1001);
  CHECK(p->user.has_umask && p->user.umask == 022);
  CHECK(p->user.additionalGids_len == 3 && p->user.additionalGids[2] == 7);
  CHECK(strv_len(p->args) == 3);
  CHECK_STR(p->args[2], "echo hi");
  CHECK_STR(p->env[1], "A=b=c");
  CHECK_STR(p->cwd, "/tmp");
  CHECK(p->has_capabilities);
  CHECK(p->capabilities.has_bounding && strv_len(p->capabilities.bounding) == 2);
  CHECK(p->capabilities.has_inheritable &&
        strv_len(p->capabilities.inheritable) == 0);
  CHECK(p->capabilities.has_ambient && p->capabilities.has_effective &&
        p->capabilities.has_permitted);
  CHECK(p->rlimits_len == 2);
  CHECK(p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024 &&
        p->rlimits[0].hard == 4096);
  CHECK(p->rlimits[1].resource == RLIMIT_CORE &&
        p->rlimits[1].hard == UINT64_MAX);
  CHECK(p->noNewPrivileges);
  CHECK_STR(p->apparmorProfile, "ward-default");
  CHECK(p->has_oomScoreAdj && p->oomScoreAdj == -500);
  CHECK_STR(p->selinuxLabel, "system_u:system_r:container_t:s0");
  CHECK(p->scheduler.present);
  CHECK_STR(p->scheduler.policy, "SCHED_FIFO");
  CHECK(p->scheduler.nice == -5 && p->scheduler.priority == 10 &&
        p->scheduler.runtime == 1 && p->scheduler.deadline == 2 &&
        p->scheduler.period == 3 && strv_len(p->scheduler.flags) == 1);
  CHECK(p->ioPriority.present && p->ioPriority.priority == 4);
  CHECK_STR(p->ioPriority.class, "IOPRIO_CLASS_BE");
  CHECK_STR(p->execCPUAffinity_initial, "0-1,3");
  CHECK_STR(p->execCPUAffinity_final, "1");

  CHECK_STR(c->hostname, "box");
  CHECK_STR(c->domainname, "example.org");
  CHECK(c->hooks.prestart.len == 1);
  CHECK_STR(c->hooks.prestart.items[0].path, "/bin/pre");
  CHECK(!c->hooks.prestart.items[0].has_timeout);
  CHECK(c->hooks.createRuntime.len == 1 &&
        c->hooks.createRuntime.items[0].has_timeout &&
        c->hooks.createRuntime.items[0].timeout == 5);
  CHECK_STR(c->hooks.createRuntime.items[0].args[1], "x");
  CHECK_STR(c->hooks.createRuntime.items[0].env[0], "K=V");
  CHECK(c->hooks.createContainer.len == 1 && c->hooks.startContainer.len == 1 &&
        c->hooks.poststart.len == 2 && c->hooks.poststop.len == 1);
  CHECK_STR(kvlist_get(&c->annotations, "org.example.b"), "two");

  struct spec_linux *l = &c->linux_;
  CHECK(c->has_linux);
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    CHECK(l->namespaces[i].present);
  CHECK_STR(l->namespaces[SPEC_NS_NETWORK].path, "/var/run/netns/x");
  CHECK(l->namespaces[SPEC_NS_PID].path == NULL);
  CHECK(l->uidMappings.len == 2 && l->uidMappings.items[1].hostID == 100000 &&
        l->uidMappings.items[1].size == 65535);
  CHECK(l->gidMappings.len == 1);
  CHECK(l->timeOffsets_monotonic.present && l->timeOffsets_monotonic.secs == 3600 &&
        l->timeOffsets_monotonic.nanosecs == 5);
  CHECK(l->timeOffsets_boottime.present && l->timeOffsets_boottime.secs == -10);
  CHECK(l->devices_len == 2);
  CHECK_STR(l->devices[0].path, "/dev/fuse");
  CHECK(l->devices[0].major == 10 && l->devices[0].minor == 229 &&
        l->devices[0].has_fileMode && l->devices[0].fileMode == 0666 &&
        l->devices[0].has_uid && l->devices[0].has_gid);
  CHECK(!l->devices[1].has_fileMode && !l->devices[1].has_uid);
  CHECK_STR(l->cgroupsPath, "/ward/full");
  CHECK_STR(l->rootfsPropagation, "rslave");
  CHECK(l->resources != NULL);
  CHECK(strv_len(l->maskedPaths) == 1 && strv_len(l->readonlyPaths) == 2);
  CHECK_STR(l->mountLabel, "system_u:object_r:container_file_t:s0");
  CHECK(l->sysctl.len == 3);
  CHECK_STR(kvlist_get(&l->sysctl, "net.ipv4.ip_forward"), "1");
  CHECK(l->seccomp != NULL);
  CHECK(l->personality.present);
  CHECK_STR(l->personality.domain, "LINUX32");
  CHECK(l->intelRdt.present && l->intelRdt.enableCMT && l->intelRdt.enableMBM);
  CHECK_STR(l->intelRdt.closID, "grp");
  CHECK_STR(l->intelRdt.memBwSchema, "MB:0=50");
  CHECK(l->netDevices_len == 2);
  CHECK_STR(l->netDevices[0].host_name, "eth1");
  CHECK_STR(l->netDevices[0].name, "ctr0");
  CHECK_STR(l->netDevices[1].name, "dummy0");
  spec_config_free(c);
}

static void test_minimal(void) {
  struct spec_config *c = PARSE_OK("{" ROOT "}");
  if (c) {
    CHECK(!c->has_process && !c->has_linux && c->mounts_len == 0);
    CHECK(c->ociVersion == NULL && c->linux_.resources == NULL &&
          c->linux_.seccomp == NULL);
    spec_config_free(c);
  }
  /* cwd defaults to "/", nulls count as absent. */
  c = PARSE_OK(PROC("'args':['true'],'cwd':null,'env':null") );
  if (c) {
    CHECK_STR(c->process.cwd, "/");
    CHECK(c->process.env == NULL);
    CHECK(!c->process.has_capabilities && !c->process.scheduler.present);
    spec_config_free(c);
  }
}

static void test_ns_helpers(void) {
  CHECK_STR(spec_ns_name(SPEC_NS_NETWORK), "network");
  CHECK_STR(spec_ns_procname(SPEC_NS_NETWORK), "net");
  CHECK_STR(spec_ns_procname(SPEC_NS_MOUNT), "mnt");
  CHECK_STR(spec_ns_name(SPEC_NS_TIME), "time");
  CHECK(spec_ns_cloneflag(SPEC_NS_USER) == CLONE_NEWUSER);
  CHECK(spec_ns_cloneflag(SPEC_NS_MOUNT) == CLONE_NEWNS);
  CHECK(spec_ns_cloneflag(SPEC_NS_CGROUP) == CLONE_NEWCGROUP);
  CHECK(spec_ns_cloneflag(SPEC_NS_TIME) == 0x80);
}

/* {"root":..., "linux":{"namespaces":[{"type":"user"}], KEY:[N entries]}} */
static char *many_idmaps(const char *key, size_t n) {
  size_t cap = 64 * n + 256, off = 0;
  char *s = malloc(cap);
  off += snprintf(s + off, cap - off,
                  "{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":"
                  "[{\"type\":\"user\"}],\"gidMappings\":[{\"containerID\":0,"
                  "\"hostID\":0,\"size\":1}],\"%s\":[",
                  key);
  for (size_t i = 0; i < n; i++)
    off += snprintf(s + off, cap - off,
                    "%s{\"containerID\":%zu,\"hostID\":%zu,\"size\":1}",
                    i ? "," : "", i, 1000 + i);
  snprintf(s + off, cap - off, "]}}");
  return s;
}

static void test_idmaps(void) {
#define USERNS "'namespaces':[{'type':'user'}],"
#define GIDMAP "'gidMappings':[{'containerID':0,'hostID':0,'size':1}]"
  EXPECT_ERR(LINUX(USERNS GIDMAP ",'uidMappings':[{'containerID':0,'hostID':0,"
                                 "'size':1},{'containerID':1,'hostID':1,'size':0}]"),
             "linux.uidMappings[1].size: must be > 0");
  EXPECT_ERR(LINUX(USERNS GIDMAP ",'uidMappings':[{'containerID':0,'size':1}]"),
             "linux.uidMappings[0].hostID: required");
  EXPECT_ERR(LINUX(USERNS GIDMAP ",'uidMappings':[{'containerID':-1,'hostID':0,"
                                 "'size':1}]"),
             "linux.uidMappings[0].containerID: must be >= 0");
  EXPECT_ERR(LINUX(USERNS GIDMAP ",'uidMappings':[{'containerID':0,'hostID':"
                                 "4294967295,'size':1}]"),
             "linux.uidMappings[0]: hostID + size must be <= 4294967295");
  EXPECT_ERR(LINUX(USERNS GIDMAP ",'uidMappings':[{'containerID':0,'hostID':0,"
                                 "'size':10},{'containerID':5,'hostID':100,'size':1}]"),
             "linux.uidMappings[1]: containerID range overlaps "
             "linux.uidMappings[0]");
  EXPECT_ERR(LINUX(USERNS GIDMAP ",'uidMappings':{}"),
             "linux.uidMappings: must be an array");

  werr_t err = NULL;
  struct spec_config *c = NULL;
  _cleanup_free_ char *ok = many_idmaps("uidMappings", SPEC_IDMAP_MAX_LINES);
  CHECK(spec_config_parse(ok, &c, &err) == 0);
  if (c)
    CHECK(c->linux_.uidMappings.len == SPEC_IDMAP_MAX_LINES);
  spec_config_free(c);
  c = NULL;
  _cleanup_free_ char *bad = many_idmaps("uidMappings", SPEC_IDMAP_MAX_LINES + 1);
  CHECK(spec_config_parse(bad, &c, &err) < 0);
  if (err)
    CHECK_STR(err->msg, "config.json: linux.uidMappings: at most 340 entries "
                        "(the kernel's limit), got 341");
  werr_free(&err);

  EXPECT_ERR(LINUX("'uidMappings':[{'containerID':0,'hostID':0,'size':1}]"),
             "linux.uidMappings: requires a user namespace in linux.namespaces");
  EXPECT_ERR(LINUX(GIDMAP), "linux.gidMappings: requires a user namespace in "
                            "linux.namespaces");
  /* Neither creating (ward allocates the maps) nor joining a user
   * namespace needs maps in config.json. */
  c = PARSE_OK(LINUX("'namespaces':[{'type':'user'}]"));
  if (c)
    CHECK(c->linux_.uidMappings.len == 0 && c->linux_.gidMappings.len == 0);
  spec_config_free(c);
  c = PARSE_OK(LINUX("'namespaces':[{'type':'user','path':'/proc/1/ns/user'}]"));
  spec_config_free(c);

  /* The same checks apply to idmapped mounts. */
  EXPECT_ERR("{" ROOT ",'mounts':[{'destination':'/a','uidMappings':"
             "[{'containerID':0,'hostID':1,'size':0}],'gidMappings':[]}]}",
             "mounts[0].uidMappings[0].size: must be > 0");
  EXPECT_ERR("{" ROOT ",'mounts':[{'destination':'/a','uidMappings':"
             "[{'containerID':0,'hostID':1,'size':1}]}]}",
             "mounts[0]: uidMappings and gidMappings must be set together");
  _cleanup_free_ char *mbad = NULL;
  {
    /* mounts[0].gidMappings with 341 entries */
    size_t cap = 64 * 341 + 256, off = 0;
    mbad = malloc(cap);
    off += snprintf(mbad + off, cap - off,
                    "{\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":"
                    "\"/a\",\"gidMappings\":[");
    for (size_t i = 0; i < 341; i++)
      off += snprintf(mbad + off, cap - off,
                      "%s{\"containerID\":%zu,\"hostID\":%zu,\"size\":1}",
                      i ? "," : "", i, i);
    snprintf(mbad + off, cap - off, "]}]}");
    CHECK(spec_config_parse(mbad, &c, &err) < 0);
    if (err)
      CHECK_STR(err->msg, "config.json: mounts[0].gidMappings: at most 340 "
                          "entries (the kernel's limit), got 341");
    werr_free(&err);
  }
}

static void test_document(void) {
  EXPECT_ERR("{}", "root.path: required");
  EXPECT_ERR("{'root':{}}", "root.path: required");
  EXPECT_ERR("{'root':{'path':''}}", "root.path: must not be empty");
  EXPECT_ERR("{'root':{'path':7}}", "root.path: must be a string");
  EXPECT_ERR("{'root':'rootfs'}", "root: must be an object");
  EXPECT_ERR("[]", "must be a JSON object");
  EXPECT_ERR("{'ociVersion':1.2," ROOT "}", "ociVersion: must be a string");
  EXPECT_ERR("{" ROOT ",'mounts':[{'destination':'/a'},{'destination':'/b'},"
             "{'destination':'/c'},{'destination':'d'}]}",
             "mounts[3].destination: must be an absolute path");
  EXPECT_ERR("{" ROOT ",'mounts':[{'type':'tmpfs'}]}",
             "mounts[0].destination: required");
  EXPECT_ERR("{" ROOT ",'mounts':[{'destination':'/a','options':'ro'}]}",
             "mounts[0].options: must be an array of strings");
  EXPECT_ERR("{" ROOT ",'hostname':'h'}",
             "hostname: requires a uts namespace in linux.namespaces");

  /* yajl's own message, kept on one line. */
  werr_t err = NULL;
  struct spec_config *c = NULL;
  CHECK(spec_config_parse("{\"root\": ", &c, &err) < 0);
  CHECK(err && strncmp(err->msg, "config.json: invalid JSON: ", 27) == 0 &&
        strchr(err->msg, '\n') == NULL);
  werr_free(&err);
}

static void test_process(void) {
  EXPECT_ERR(PROC("'cwd':'/'"), "process.args: required");
  EXPECT_ERR(PROC("'args':[]"), "process.args: must not be empty");
  EXPECT_ERR(PROC("'args':['sh',1]"), "process.args[1]: must be a string");
  EXPECT_ERR(PROC("'args':['sh'],'cwd':'tmp'"),
             "process.cwd: must be an absolute path");
  EXPECT_ERR(PROC("'args':['sh'],'env':['A=1','NOEQUALS']"),
             "process.env[1]: must be KEY=VALUE, got \"NOEQUALS\"");
  EXPECT_ERR(PROC("'args':['sh'],'terminal':'yes'"),
             "process.terminal: must be a boolean");
  EXPECT_ERR(PROC("'args':['sh'],'user':{'uid':0,'gid':0,'umask':512}"),
             "process.user.umask: must be <= 0777 (511), got 512");
  EXPECT_ERR(PROC("'args':['sh'],'user':{'uid':-1}"),
             "process.user.uid: must be >= 0");
  EXPECT_ERR(PROC("'args':['sh'],'user':{'additionalGids':[1,'x']}"),
             "process.user.additionalGids[1]: must be an integer in "
             "0..4294967295");
  EXPECT_ERR(PROC("'args':['sh'],'consoleSize':{'height':10}"),
             "process.consoleSize.width: required");
  EXPECT_ERR(PROC("'args':['sh'],'rlimits':[{'type':'RLIMIT_FOO','soft':1,"
                  "'hard':1}]"),
             "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
  EXPECT_ERR(PROC("'args':['sh'],'rlimits':[{'type':'RLIMIT_NOFILE','soft':"
                  "2048,'hard':1024}]"),
             "process.rlimits[0]: soft (2048) must be <= hard (1024)");
  EXPECT_ERR(PROC("'args':['sh'],'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]"),
             "process.rlimits[0].hard: required");
  EXPECT_ERR(PROC("'args':['sh'],'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,"
                  "'hard':1},{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]"),
             "process.rlimits[1].type: duplicate \"RLIMIT_NOFILE\" (also "
             "process.rlimits[0])");
  EXPECT_ERR(PROC("'args':['sh'],'capabilities':{'bounding':'CAP_KILL'}"),
             "process.capabilities.bounding: must be an array of strings");
  EXPECT_ERR(PROC("'args':['sh'],'oomScoreAdj':1001"),
             "process.oomScoreAdj: must be in -1000..1000, got 1001");
  EXPECT_ERR(PROC("'args':['sh'],'scheduler':{'policy':'SCHED_FAST'}"),
             "process.scheduler.policy: must be one of SCHED_OTHER SCHED_FIFO "
             "SCHED_RR SCHED_BATCH SCHED_ISO SCHED_IDLE SCHED_DEADLINE, got "
             "\"SCHED_FAST\"");
  EXPECT_ERR(PROC("'args':['sh'],'scheduler':{'nice':1}"),
             "process.scheduler.policy: required");
  EXPECT_ERR(PROC("'args':['sh'],'scheduler':{'policy':'SCHED_OTHER','nice':20}"),
             "process.scheduler.nice: must be in -20..19, got 20");
  EXPECT_ERR(PROC("'args':['sh'],'scheduler':{'policy':'SCHED_OTHER','flags':"
                  "['SCHED_FLAG_X']}"),
             "process.scheduler.flags[0]: must be one of "
             "SCHED_FLAG_RESET_ON_FORK SCHED_FLAG_RECLAIM SCHED_FLAG_DL_OVERRUN "
             "SCHED_FLAG_KEEP_POLICY SCHED_FLAG_KEEP_PARAMS "
             "SCHED_FLAG_UTIL_CLAMP_MIN SCHED_FLAG_UTIL_CLAMP_MAX, got "
             "\"SCHED_FLAG_X\"");
  EXPECT_ERR(PROC("'args':['sh'],'ioPriority':{'class':'IOPRIO_CLASS_NONE'}"),
             "process.ioPriority.class: must be one of IOPRIO_CLASS_RT "
             "IOPRIO_CLASS_BE IOPRIO_CLASS_IDLE, got \"IOPRIO_CLASS_NONE\"");
  EXPECT_ERR(PROC("'args':['sh'],'ioPriority':{'class':'IOPRIO_CLASS_RT',"
                  "'priority':8}"),
             "process.ioPriority.priority: must be in 0..7, got 8");
  EXPECT_ERR(PROC("'args':['sh'],'execCPUAffinity':{'initial':'0-'}"),
             "process.execCPUAffinity.initial: invalid CPU list \"0-\"");
  EXPECT_ERR(PROC("'args':['sh'],'execCPUAffinity':{'final':'3-1'}"),
             "process.execCPUAffinity.final: invalid CPU list \"3-1\"");

  /* ward exec --process: a bare Process object, paths without "process.". */
  struct spec_process p;
  memset(&p, 0xaa, sizeof(p)); /* callers may pass uninitialised memory */
  werr_t err = NULL;
  yajl_val v = NULL;
  _cleanup_free_ char *j = q("{'args':['ls','-l'],'env':['X=1']}");
  CHECK(json_parse_buf(j, "process.json", &v, &err) == 0);
  CHECK(spec_parse_process(v, "", &p, &err) == 0);
  CHECK_STR(p.args[1], "-l");
  CHECK_STR(p.cwd, "/");
  spec_process_free(&p);
  CHECK(p.args == NULL);
  yajl_tree_free(v);
  _cleanup_free_ char *j2 = q("{'args':['ls'],'cwd':'x'}");
  CHECK(json_parse_buf(j2, "process.json", &v, &err) == 0);
  CHECK(spec_parse_process(v, "", &p, &err) < 0);
  if (err)
    CHECK_STR(err->msg, "cwd: must be an absolute path");
  werr_free(&err);
  yajl_tree_free(v);
}

static void test_linux(void) {
  EXPECT_ERR(LINUX("'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'foo'}]"),
             "linux.namespaces[2].type: unknown namespace type \"foo\"");
  EXPECT_ERR(LINUX("'namespaces':[{'type':'pid'},{'type':'pid'}]"),
             "linux.namespaces[1].type: duplicate namespace \"pid\"");
  EXPECT_ERR(LINUX("'namespaces':[{'type':'network','path':'run/netns/x'}]"),
             "linux.namespaces[0].path: must be an absolute path");
  EXPECT_ERR(LINUX("'namespaces':[{'path':'/proc/1/ns/net'}]"),
             "linux.namespaces[0].type: required");
  EXPECT_ERR(LINUX("'namespaces':{'type':'pid'}"),
             "linux.namespaces: must be an array");
  EXPECT_ERR("{" ROOT ",'linux':[]}", "linux: must be an object");

  EXPECT_ERR(LINUX("'rootfsPropagation':'recursive'"),
             "linux.rootfsPropagation: must be one of private rprivate slave "
             "rslave shared rshared unbindable runbindable, got \"recursive\"");

  EXPECT_ERR(LINUX("'devices':[{'type':'x','path':'/dev/x'}]"),
             "linux.devices[0].type: must be one of c b u p, got \"x\"");
  EXPECT_ERR(LINUX("'devices':[{'type':'c','path':'dev/x','major':1,'minor':3}]"),
             "linux.devices[0].path: must be an absolute path");
  EXPECT_ERR(LINUX("'devices':[{'type':'b','path':'/dev/sda','minor':0}]"),
             "linux.devices[0].major: required for type \"b\"");
  EXPECT_ERR(LINUX("'devices':[{'type':'u','path':'/dev/x','major':1}]"),
             "linux.devices[0].minor: required for type \"u\"");
  EXPECT_ERR(LINUX("'devices':[{'path':'/dev/x'}]"),
             "linux.devices[0].type: required");
  EXPECT_ERR(LINUX("'devices':[{'type':'c','path':'/dev/x','major':1,'minor':3,"
                   "'fileMode':4096}]"),
             "linux.devices[0].fileMode: must be <= 07777 (4095), got 4096");

  EXPECT_ERR(LINUX("'personality':{'domain':'LINUX64'}"),
             "linux.personality.domain: must be one of LINUX LINUX32, got "
             "\"LINUX64\"");
  EXPECT_ERR(LINUX("'personality':{'flags':[]}"),
             "linux.personality.domain: required");

  EXPECT_ERR(LINUX("'timeOffsets':{'monotonic':{'secs':1}}"),
             "linux.timeOffsets: requires a time namespace in linux.namespaces");
  EXPECT_ERR(LINUX("'namespaces':[{'type':'time','path':'/proc/1/ns/time'}],"
                   "'timeOffsets':{'boottime':{'secs':1}}"),
             "linux.timeOffsets: cannot be set when joining an existing time "
             "namespace");
  EXPECT_ERR(LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'realtime':"
                   "{'secs':1}}"),
             "linux.timeOffsets.realtime: unknown clock (the kernel offsets "
             "monotonic and boottime only)");
  EXPECT_ERR(LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'monotonic':"
                   "{'secs':1,'nanosecs':1000000000}}"),
             "linux.timeOffsets.monotonic.nanosecs: must be < 1000000000");

  EXPECT_ERR(LINUX("'maskedPaths':['proc/kcore']"),
             "linux.maskedPaths[0]: must be an absolute path");
  EXPECT_ERR(LINUX("'sysctl':{'net.ipv4.ip_forward':1}"),
             "linux.sysctl.net.ipv4.ip_forward: must be a string");
  EXPECT_ERR(LINUX("'sysctl':{'net.ipv4.ip_forward':'1'}"),
             "linux.sysctl: \"net.ipv4.ip_forward\" requires a network namespace "
             "in linux.namespaces");
  EXPECT_ERR(LINUX("'namespaces':[{'type':'network'}],'sysctl':{'vm.swappiness':'1'}"),
             "linux.sysctl: \"vm.swappiness\" is not namespaced; refusing to "
             "change the host's value");
  EXPECT_ERR(LINUX("'intelRdt':{'closID':'../x'}"),
             "linux.intelRdt.closID: must be a plain directory name, got "
             "\"../x\"");
  EXPECT_ERR(LINUX("'netDevices':{'eth0':{}}"),
             "linux.netDevices: requires a network namespace in linux.namespaces");
  EXPECT_ERR(LINUX("'namespaces':[{'type':'network'}],'netDevices':"
                   "{'eth0':{'name':'averyveryverylongname'}}"),
             "linux.netDevices.eth0.name: \"averyveryverylongname\" is not a "
             "valid interface name");
  EXPECT_ERR(LINUX("'namespaces':[{'type':'network'}],'netDevices':"
                   "{'a':{'name':'x'},'b':{'name':'x'}}"),
             "linux.netDevices.b.name: \"x\" is also the name of "
             "linux.netDevices.a");
  EXPECT_ERR(LINUX("'resources':[]"), "linux.resources: must be an object");
}

static void test_hooks(void) {
  EXPECT_ERR("{" ROOT ",'hooks':{'prestart':[{'path':'/ok'},{'path':'rel'}]}}",
             "hooks.prestart[1].path: must be an absolute path");
  EXPECT_ERR("{" ROOT ",'hooks':{'poststop':[{'args':['x']}]}}",
             "hooks.poststop[0].path: required");
  EXPECT_ERR("{" ROOT ",'hooks':{'createRuntime':[{'path':'/h','timeout':0}]}}",
             "hooks.createRuntime[0].timeout: must be > 0");
  EXPECT_ERR("{" ROOT ",'hooks':{'startContainer':{}}}",
             "hooks.startContainer: must be an array");
  EXPECT_ERR("{" ROOT ",'annotations':{'a':1}}",
             "annotations.a: must be a string");
}

static void test_load(void) {
  char dir[] = "/tmp/test_config.XXXXXX";
  if (mkdtemp(dir) == NULL) {
    failed++;
    return;
  }
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/config.json", dir) < 0)
    abort();
  werr_t err = NULL;
  struct spec_config *c = NULL;
  CHECK(spec_config_load(path, &c, &err) < 0);
  CHECK(err && err->errnum == ENOENT);
  if (err) {
    _cleanup_free_ char *want = NULL;
    if (asprintf(&want, "open %s", path) < 0)
      abort();
    CHECK_STR(err->msg, want);
  }
  werr_free(&err);

  FILE *f = fopen(path, "w");
  fputs("{\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],"
        "\"cwd\":\"rel\"}}",
        f);
  fclose(f);
  CHECK(spec_config_load(path, &c, &err) < 0);
  if (err)
    CHECK_STR(err->msg, "config.json: process.cwd: must be an absolute path");
  werr_free(&err);

  f = fopen(path, "w");
  fputs("{\"root\":{\"path\":\"rootfs\"}}", f);
  fclose(f);
  CHECK(spec_config_load(path, &c, &err) == 0);
  if (c)
    CHECK_STR(c->root_path, "rootfs");
  spec_config_free(c);
  unlink(path);
  rmdir(dir);
}

static void test_default_config(void) {
  for (int rootless = 0; rootless < 2; rootless++) {
    _cleanup_free_ char *j = spec_default_config_json(rootless, 1234, 5678);
    struct spec_config *c = NULL;
    werr_t err = NULL;
    CHECK(spec_config_parse(j, &c, &err) == 0);
    if (err) {
      fprintf(stderr, "  default config (rootless=%d): %s\n", rootless,
              err->msg);
      werr_free(&err);
      continue;
    }
    CHECK(strchr(j, '\t') != NULL); /* pretty, like runc spec */
    CHECK_STR(c->ociVersion, "1.2.0");
    CHECK_STR(c->root_path, "rootfs");
    CHECK(c->root_readonly);
    CHECK(c->process.terminal);
    CHECK_STR(c->process.args[0], "sh");
    CHECK(c->process.args[1] == NULL);
    CHECK(c->mounts_len == 7);
    CHECK(strv_len(c->process.capabilities.bounding) == 3);
    CHECK(c->process.rlimits_len == 1 &&
          c->process.rlimits[0].resource == RLIMIT_NOFILE);
    /* runc's ten, and /sys/kernel/slab (it lists every cgroup). */
    CHECK(strv_len(c->linux_.maskedPaths) == 11);
    CHECK_STR(c->linux_.maskedPaths[10], "/sys/kernel/slab");
    CHECK(strv_len(c->linux_.readonlyPaths) == 5);
    const struct spec_namespace *ns = c->linux_.namespaces;
    CHECK(ns[SPEC_NS_PID].present && ns[SPEC_NS_IPC].present &&
          ns[SPEC_NS_UTS].present && ns[SPEC_NS_MOUNT].present);
    CHECK(!ns[SPEC_NS_CGROUP].present && !ns[SPEC_NS_TIME].present);
    if (rootless) {
      CHECK(ns[SPEC_NS_USER].present && !ns[SPEC_NS_NETWORK].present);
      CHECK(c->linux_.uidMappings.len == 1 &&
            c->linux_.uidMappings.items[0].hostID == 1234 &&
            c->linux_.uidMappings.items[0].containerID == 0);
      CHECK(c->linux_.gidMappings.len == 1 &&
            c->linux_.gidMappings.items[0].hostID == 5678);
      CHECK(c->linux_.resources == NULL);
      CHECK_STR(c->mounts[5].type, "none");
      CHECK(strstr(j, "gid=5") == NULL);
    } else {
      /* An isolated range ward allocates, not maps in the file. */
      CHECK(ns[SPEC_NS_USER].present && ns[SPEC_NS_NETWORK].present);
      CHECK(c->linux_.uidMappings.len == 0);
      CHECK_STR(kvlist_get(&c->annotations, "ward.idmap.isolated"), "true");
      CHECK(c->linux_.resources != NULL);
      CHECK_STR(c->mounts[5].type, "sysfs");
    }
    spec_config_free(c);
  }
}

static void test_features(void) {
  _cleanup_free_ char *j = spec_features_json(false);
  char ebuf[256];
  yajl_val v = yajl_tree_parse(j, ebuf, sizeof(ebuf));
  CHECK(v != NULL);
  if (v == NULL)
    return;
  const char *p_min[] = {"ociVersionMin", NULL};
  const char *p_max[] = {"ociVersionMax", NULL};
  const char *p_caps[] = {"linux", "capabilities", NULL};
  const char *p_ns[] = {"linux", "namespaces", NULL};
  const char *p_v2[] = {"linux", "cgroup", "v2", NULL};
  const char *p_sd[] = {"linux", "cgroup", "systemd", NULL};
  const char *p_sec[] = {"linux", "seccomp", "enabled", NULL};
  const char *p_idmap[] = {"linux", "mountExtensions", "idmap", "enabled",
                           NULL};
  const char *p_hooks[] = {"hooks", NULL};
  const char *p_ann[] = {"annotations", "io.github.ward.version", NULL};
  const char *p_opts[] = {"mountOptions", NULL};
  CHECK_STR(YAJL_GET_STRING(yajl_tree_get(v, p_min, yajl_t_string)), "1.0.0");
  CHECK_STR(YAJL_GET_STRING(yajl_tree_get(v, p_max, yajl_t_string)), "1.2.0");
  yajl_val caps = yajl_tree_get(v, p_caps, yajl_t_array);
  CHECK(caps && caps->u.array.len == 41);
  if (caps && caps->u.array.len == 41)
    CHECK_STR(YAJL_GET_STRING(caps->u.array.values[40]),
              "CAP_CHECKPOINT_RESTORE");
  yajl_val ns = yajl_tree_get(v, p_ns, yajl_t_array);
  CHECK(ns && ns->u.array.len == 8);
  CHECK(YAJL_IS_TRUE(yajl_tree_get(v, p_v2, yajl_t_any)));
  CHECK(YAJL_IS_FALSE(yajl_tree_get(v, p_sd, yajl_t_any)));
  CHECK(YAJL_IS_TRUE(yajl_tree_get(v, p_sec, yajl_t_any)));
  CHECK(YAJL_IS_TRUE(yajl_tree_get(v, p_idmap, yajl_t_any)));
  yajl_val hooks = yajl_tree_get(v, p_hooks, yajl_t_array);
  CHECK(hooks && hooks->u.array.len == 6);
  CHECK(yajl_tree_get(v, p_ann, yajl_t_string) != NULL);
  yajl_val opts = yajl_tree_get(v, p_opts, yajl_t_array);
  CHECK(opts && opts->u.array.len > 30);
  /* Every namespace the features list advertises, the parser accepts. */
  for (size_t i = 0; ns && i < ns->u.array.len; i++) {
    _cleanup_free_ char *cfg = NULL;
    const char *t = YAJL_GET_STRING(ns->u.array.values[i]);
    if (asprintf(&cfg,
                 "{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":"
                 "[{\"type\":\"%s\"}]}}",
                 t) < 0)
      abort();
    struct spec_config *c = NULL;
    werr_t err = NULL;
    CHECK(spec_config_parse(cfg, &c, &err) == 0);
    werr_free(&err);
    spec_config_free(c);
  }
  yajl_tree_free(v);
}

/* Input bounds and the log's UTF-8 rule (issue 10.4, 10.9). */
static void test_bounds_and_log_text(void) {
  /* 129 levels: refused before yajl builds (and recursively frees) a tree. */
  char deep[400] = "{\"x\":";
  for (int i = 0; i < 128; i++)
    strcat(deep, "[");
  strcat(deep, "1");
  for (int i = 0; i < 128; i++)
    strcat(deep, "]");
  strcat(deep, "}");
  yajl_val v = NULL;
  werr_t err = NULL;
  CHECK(json_parse_buf(deep, "in.json", &v, &err) < 0 && v == NULL);
  CHECK_STR(err ? err->msg : NULL, "in.json: JSON nested deeper than 128 levels");
  werr_free(&err);
  /* Brackets inside strings (escaped quote included) do not count; 128
   * levels is fine: the object, the array, 126 more. */
  strcpy(deep, "{\"x\":[\"[[[[\\\"[[[\",");
  for (int i = 0; i < 126; i++)
    strcat(deep, "[");
  for (int i = 0; i < 126; i++)
    strcat(deep, "]");
  strcat(deep, "]}");
  CHECK(json_parse_buf(deep, "ok.json", &v, &err) == 0);
  if (err)
    fprintf(stderr, "%s\n", err->msg);
  werr_free(&err);
  yajl_tree_free(v);

  char *c = ward_log_clean("ok \xc3\xa9\nnext");
  CHECK_STR(c, "ok \xc3\xa9 next");
  free(c);
  /* What "\udcff" decodes to, an overlong '/', a stray continuation byte. */
  c = ward_log_clean("a\xed\xb3\xbf b\xc0\xaf c\x80");
  CHECK_STR(c, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd b\xef\xbf\xbd"
               "\xef\xbf\xbd c\xef\xbf\xbd");
  free(c);
}

int main(void) {
  test_bounds_and_log_text();
  test_full();
  test_minimal();
  test_ns_helpers();
  test_document();
  test_idmaps();
  test_process();
  test_linux();
  test_hooks();
  test_load();
  test_default_config();
  test_features();
  return unit_summary("test_config");
}
