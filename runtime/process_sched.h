/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Named process_sched, not sched.h: -Iruntime would make that shadow
 * the libc <sched.h> (clone flags, cpu_set_t) for every file.
 * process.scheduler (sched_setattr), process.ioPriority (ioprio_set) and
 * process.execCPUAffinity, applied to the calling process. */
#ifndef WARD_PROCESS_SCHED_H
#define WARD_PROCESS_SCHED_H

#include "config.h"

/* Validate all three without touching the kernel, so a bad value fails
 * `create` before anything exists (the apply functions check again). */
int sched_check(const struct spec_process *p, werr_t *err);
/* execCPUAffinity.initial: in the init right after it starts, so ward's own
 * set-up work stays off the CPUs the workload is meant to own. */
int sched_apply_initial(const struct spec_process *p, werr_t *err);
/* execCPUAffinity.final (or back to every CPU when only initial was given),
 * then ioPriority, then scheduler: affinity first because the kernel
 * refuses to narrow a SCHED_DEADLINE task's CPUs.  Must run while the init
 * still holds CAP_SYS_NICE (real-time policies, negative nice, the RT I/O
 * class), i.e. before capabilities are dropped and before setuid. */
int sched_apply_final(const struct spec_process *p, werr_t *err);

#endif
