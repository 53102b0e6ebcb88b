/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "selfclone.h"

#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* <linux/memfd.h> of Linux 6.3 */
#endif

extern char **environ;

/* How much of the ELF file at FD the kernel and ld.so read: up to the end
 * of the last segment.  Debug info and the symbol table lie past it (in a
 * -g build 1 MB of 1.3 MB) and copying them into shmem cost ~3 ms a call.
 * The copy's header then names no section table.  0: not a native ELF file
 * this understands, or a sanitizer build whose reports need the symbols;
 * copy all of it. */
static off_t image_end(int fd, off_t size, ElfW(Ehdr) *eh) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
  (void)fd, (void)size, (void)eh;
  return 0;
#endif
  if (pread(fd, eh, sizeof(*eh), 0) != (ssize_t)sizeof(*eh) ||
      memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
      eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phnum == 0 ||
      eh->e_phnum > 64)
    return 0;
  ElfW(Phdr) ph[64];
  size_t len = (size_t)eh->e_phnum * sizeof(*ph);
  if (pread(fd, ph, len, (off_t)eh->e_phoff) != (ssize_t)len)
    return 0;
  uint64_t end = (uint64_t)eh->e_phoff + len;
  for (size_t i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_offset > (uint64_t)size || ph[i].p_filesz > (uint64_t)size)
      return 0;
    if (ph[i].p_offset + ph[i].p_filesz > end)
      end = ph[i].p_offset + ph[i].p_filesz;
  }
  return end <= (uint64_t)size ? (off_t)end : 0;
}

/* Safe already: a sealed memfd copy, or a file on a read-only mount (the
 * detached mount below, or an install on a read-only filesystem): what
 * /proc/PID/exe reaches can then not be opened for writing. */
static bool exe_is_safe(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_WRITE))
    return true;
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 && (sf.f_flags & ST_RDONLY);
}

/* The values PR_SET_MM_MAP wants, as they are now (only exe_fd changes). */
static int current_mm_map(struct prctl_mm_map *m) {
  unsigned long long v[52];
  char state;
  if (proc_stat_fields("/proc/self/stat", &state, v, 52) < 0)
    return -1;
  *m = (struct prctl_mm_map){
      .start_code = v[26], .end_code = v[27], .start_stack = v[28],
      .start_data = v[45], .end_data = v[46], .start_brk = v[47],
      .brk = (uint64_t)syscall(SYS_brk, 0), .arg_start = v[48],
      .arg_end = v[49], .env_start = v[50], .env_end = v[51]};
  return m->start_code && m->end_code ? 0 : -1;
}

/* Cheaper still, for root: no second exec at all.  Every mapping of the
 * binary is moved onto the read-only detached mount RO (text and read-only
 * data mapped again from it: the same inode, so the same page cache;
 * writable data copied into anonymous memory, then moved into place with
 * one mremap so no instruction ever sees a half-copied GOT), after which
 * no mapping names the host's path and the kernel lets PR_SET_MM_MAP point
 * /proc/self/exe at RO.  What a container can reach is then exactly what
 * the re-exec below gives it, ~0.8 ms sooner (an exec of ward costs that
 * much: ld.so, libc's start-up, the page faults).  Needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE; 0 on success, -1 with nothing that matters
 * changed (the mappings still show the same bytes). */
static int switch_exe_in_place(int ro) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
  (void)ro;
  return -1;
#endif
  const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
  size_t phnum = getauxval(AT_PHNUM);
  long pg = sysconf(_SC_PAGESIZE);
  if (ph == NULL || phnum == 0 || pg <= 0)
    return -1;
  uintptr_t bias = 0, relro = 0, relro_end = 0;
  bool have_phdr = false;
  for (size_t i = 0; i < phnum; i++)
    if (ph[i].p_type == PT_PHDR) {
      bias = (uintptr_t)ph - ph[i].p_vaddr;
      have_phdr = true;
    }
  if (!have_phdr)
    return -1;
  for (size_t i = 0; i < phnum; i++)
    if (ph[i].p_type == PT_GNU_RELRO) {
      relro = (bias + ph[i].p_vaddr) & ~(uintptr_t)(pg - 1);
      relro_end = (bias + ph[i].p_vaddr + ph[i].p_memsz) & ~(uintptr_t)(pg - 1);
    }
  for (size_t i = 0; i < phnum; i++) {
    if (ph[i].p_type != PT_LOAD || ph[i].p_filesz == 0)
      continue;
    uintptr_t start = (bias + ph[i].p_vaddr) & ~(uintptr_t)(pg - 1);
    uintptr_t end = (bias + ph[i].p_vaddr + ph[i].p_filesz + pg - 1) &
                    ~(uintptr_t)(pg - 1);
    size_t len = end - start;
    int prot = (ph[i].p_flags & PF_R ? PROT_READ : 0) |
               (ph[i].p_flags & PF_W ? PROT_WRITE : 0) |
               (ph[i].p_flags & PF_X ? PROT_EXEC : 0);
    if (!(ph[i].p_flags & PF_W)) {
      /* Never written (no text relocations): the file's bytes. */
      if (mmap((void *)start, len, prot, MAP_PRIVATE | MAP_FIXED, ro,
               (off_t)(ph[i].p_offset & ~(uint64_t)(pg - 1))) == MAP_FAILED)
        return -1;
      continue;
    }
    void *copy = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED)
      return -1;
    memcpy(copy, (void *)start, len);
    if (mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
               (void *)start) == MAP_FAILED) {
      munmap(copy, len);
      return -1;
    }
    if (relro_end > relro && relro >= start && relro_end <= end &&
        mprotect((void *)relro, relro_end - relro, PROT_READ) < 0)
      return -1;
  }
  struct prctl_mm_map m;
  if (current_mm_map(&m) < 0)
    return -1;
  m.exe_fd = (uint32_t)ro;
  return prctl(PR_SET_MM, PR_SET_MM_MAP, &m, sizeof(m), 0) < 0 ? -1 : 0;
}

/* The cheap way, for root: a read-only detached mount of the binary
 * itself (open_tree of EXE + mount_setattr), moved onto in place or else
 * executed through its fd.  Nothing is copied and nothing appears in any
 * mount table; the mount lives as long as the process that runs from it.
 * Only someone with CAP_SYS_ADMIN over the host's mount namespace could
 * make it writable, and such a container owns the host anyway.  0: moved;
 * -1 when it is not allowed (an unprivileged ward): the caller copies. */
static int move_to_readonly_mount(int exe, char **argv) {
  _cleanup_close_ int m =
      (int)syscall(SYS_open_tree, exe, "",
                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (m < 0)
    return -1;
  struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                     MOUNT_ATTR_NODEV};
  if (syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
    return -1;
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
  _cleanup_close_ int ro = open(path, O_RDONLY | O_CLOEXEC);
  if (ro >= 0 && switch_exe_in_place(ro) == 0)
    return 0;
  syscall(SYS_execveat, m, "", argv, environ, AT_EMPTY_PATH);
  return -1;
}

int selfclone_ensure(char **argv, werr_t *err) {
  _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return werr_sys(err, "open /proc/self/exe");
  if (exe_is_safe(src))
    return 0;
  if (move_to_readonly_mount(src, argv) == 0)
    return 0;
  /* Otherwise a sealed copy of the loaded image in a memfd. */
  struct stat st;
  if (fstat(src, &st) < 0)
    return werr_sys(err, "stat /proc/self/exe");
  /* Executable on purpose: where vm.memfd_noexec=1 (Linux 6.3+) a memfd
   * is created non-executable unless asked; kernels before 6.3 refuse the
   * flag they do not know. */
  _cleanup_close_ int mfd =
      memfd_create("ward", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create("ward", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return werr_sys(err, "memfd_create");
  ElfW(Ehdr) eh;
  off_t end = image_end(src, st.st_size, &eh);
  off_t left = end ? end : st.st_size, pos = 0;
  while (left > 0) {
    ssize_t w = sendfile(mfd, src, &pos, (size_t)left);
    if (w <= 0)
      return werr_sys(err, "copy ward into memfd");
    left -= w;
  }
  if (end && end < st.st_size) {
    eh.e_shoff = 0;
    eh.e_shnum = 0;
    eh.e_shstrndx = SHN_UNDEF;
    if (pwrite(mfd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
      return werr_sys(err, "copy ward into memfd");
  }
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
                                  F_SEAL_WRITE) < 0)
    return werr_sys(err, "seal memfd");
  fexecve(mfd, argv, environ);
  return werr_sys(err, "re-exec ward from memfd");
}
