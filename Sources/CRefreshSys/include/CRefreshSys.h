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

/// O_PATH for open(2): a descriptor that names a file without opening it.
extern const int crs_o_path;

/// SEEK_DATA and SEEK_HOLE for lseek(2).
extern const int crs_seek_data;
extern const int crs_seek_hole;

/// copy_file_range(2) with no flags. Returns the bytes copied (0 at the end of the input) or -1
/// with errno set.
ssize_t crs_copy_file_range(int fd_in, off_t *off_in, int fd_out, off_t *off_out, size_t len);

/// Extended attributes (xattr(7)): the f* forms on a descriptor, the l* forms on a path whose
/// final symlink is not followed. Set replaces or creates. Each returns -1 with errno set on failure.
ssize_t crs_flistxattr(int fd, char *list, size_t size);
ssize_t crs_llistxattr(const char *path, char *list, size_t size);
ssize_t crs_fgetxattr(int fd, const char *name, void *value, size_t size);
ssize_t crs_lgetxattr(const char *path, const char *name, void *value, size_t size);
int crs_fsetxattr(int fd, const char *name, const void *value, size_t size);
int crs_lsetxattr(const char *path, const char *name, const void *value, size_t size);
int crs_fremovexattr(int fd, const char *name);
int crs_lremovexattr(const char *path, const char *name);

/// Whether the directory open at `fd` is the root of a mount (statx(2) STATX_ATTR_MOUNT_ROOT,
/// Linux 5.8+; also a bind mount of a directory of the same file system): 1 yes, 0 no or not
/// known (older kernel), -1 with errno set on failure.
int crs_is_mount_root(int fd);

/// Attaches `image` read-only to a free loop device with autoclear set, so the device goes
/// away when its last user (the open fd returned, then a mount) lets go.
/// Writes the device path (e.g. "/dev/loop3") to `device` and returns the open loop device fd,
/// or -1 with errno set.
int crs_loop_attach_readonly(const char *image, char *device, size_t device_size);

#endif
