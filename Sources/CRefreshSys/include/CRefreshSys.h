#ifndef CREFRESHSYS_H
#define CREFRESHSYS_H

#include <stddef.h>
#include <sys/types.h>

/// pidfd_open(2). Returns a pidfd or -1 with errno set.
int crs_pidfd_open(pid_t pid, unsigned int flags);

/// pidfd_send_signal(2) without siginfo. Returns 0 or -1 with errno set.
int crs_pidfd_send_signal(int pidfd, int sig, unsigned int flags);

/// memfd_create(2) with MFD_CLOEXEC: an anonymous file that exists only while a descriptor
/// refers to it. Returns an fd or -1 with errno set.
int crs_memfd_create_cloexec(const char *name);

/// renameat2(2). Returns 0 or -1 with errno set.
int crs_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// The RENAME_EXCHANGE and RENAME_NOREPLACE flags of renameat2(2).
extern const unsigned int crs_rename_exchange;
extern const unsigned int crs_rename_noreplace;

/// Attaches `image` read-only to a free loop device with autoclear set, so the device goes
/// away when its last user (the open fd returned, then a mount) lets go.
/// Writes the device path (e.g. "/dev/loop3") to `device` and returns the open loop device fd,
/// or -1 with errno set.
int crs_loop_attach_readonly(const char *image, char *device, size_t device_size);

#endif
