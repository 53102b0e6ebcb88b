/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libmount, loaded on first use instead of at every start.  Linking it
 * pulls in libblkid, libselinux (whose constructor probes selinuxfs) and
 * pcre2: ~1 ms of CPU per process, paid twice by the commands that
 * re-execute from a memfd, and by `state`, `kill` or `start`, which never
 * call it.  runtime/libmount_lazy.c defines the libmount functions ward
 * calls; each resolves the real one through dlopen the first time. */
#ifndef WARD_LIBMOUNT_LAZY_H
#define WARD_LIBMOUNT_LAZY_H

/* Load it now.  A command that puts a process into a container calls this
 * before it creates or enters any namespace, so that the library always
 * comes from the host's /lib and never from a container's mounts. */
void libmount_preload(void);

#endif
