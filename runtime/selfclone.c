/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "selfclone.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

extern char **environ;

int selfclone_ensure(char **argv, werr_t *err) {
  char link[256];
  ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);
  if (n < 0)
    return werr_sys(err, "readlink /proc/self/exe");
  link[n] = '\0';
  if (strncmp(link, "/memfd:ward", 11) == 0)
    return 0;
  _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return werr_sys(err, "open /proc/self/exe");
  struct stat st;
  if (fstat(src, &st) < 0)
    return werr_sys(err, "stat /proc/self/exe");
  _cleanup_close_ int mfd = memfd_create("ward", MFD_CLOEXEC |
                                                     MFD_ALLOW_SEALING);
  if (mfd < 0)
    return werr_sys(err, "memfd_create");
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t w = sendfile(mfd, src, NULL, (size_t)left);
    if (w <= 0)
      return werr_sys(err, "copy ward into memfd");
    left -= w;
  }
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
                                  F_SEAL_WRITE) < 0)
    return werr_sys(err, "seal memfd");
  fexecve(mfd, argv, environ);
  return werr_sys(err, "re-exec ward from memfd");
}
