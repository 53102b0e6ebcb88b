/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "selfclone.h"

#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

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

/* The cheap way, for root: a read-only detached mount of the binary
 * itself (open_tree of EXE + mount_setattr), executed through its fd.  Nothing
 * is copied and nothing appears in any mount table; the mount lives as
 * long as the process that runs from it.  Only someone with CAP_SYS_ADMIN
 * over the host's mount namespace could make it writable, and such a
 * container owns the host anyway.  Returns only when it is not allowed
 * (an unprivileged ward): the caller copies instead. */
static void exec_from_readonly_mount(int exe, char **argv) {
  _cleanup_close_ int m =
      (int)syscall(SYS_open_tree, exe, "",
                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (m < 0)
    return;
  struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                     MOUNT_ATTR_NODEV};
  if (syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
    return;
  syscall(SYS_execveat, m, "", argv, environ, AT_EMPTY_PATH);
}

int selfclone_ensure(char **argv, werr_t *err) {
  _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return werr_sys(err, "open /proc/self/exe");
  if (exe_is_safe(src))
    return 0;
  exec_from_readonly_mount(src, argv);
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
