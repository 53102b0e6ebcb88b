/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "selfclone.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "libmount_lazy.h"

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

int selfclone_ensure(char **argv, werr_t *err) {
  char link[256];
  ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);
  if (n < 0)
    return werr_sys(err, "readlink /proc/self/exe");
  link[n] = '\0';
  if (strncmp(link, "/memfd:ward", 11) == 0) {
    /* Only now, in the copy, and before any namespace is made or joined:
     * the process about to enter a container must not find libmount
     * first through the container's mounts. */
    libmount_preload();
    return 0;
  }
  _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return werr_sys(err, "open /proc/self/exe");
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
