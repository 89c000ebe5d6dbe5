// The few system calls Glibc does not expose to Swift: pidfd_open, pidfd_send_signal,
// memfd_create, renameat2, the loop-device ioctls (ioctl is variadic, which Swift cannot call),
// and for the data copy: extended attributes, copy_file_range, SEEK_DATA/SEEK_HOLE and statx.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "CRefreshSys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

const unsigned int crs_rename_exchange = RENAME_EXCHANGE;
const unsigned int crs_rename_noreplace = RENAME_NOREPLACE;

int crs_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int crs_pidfd_send_signal(int pidfd, int sig, unsigned int flags) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

int crs_memfd_create_cloexec(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}

int crs_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

const int crs_o_path = O_PATH;
const int crs_seek_data = SEEK_DATA;
const int crs_seek_hole = SEEK_HOLE;

ssize_t crs_copy_file_range(int fd_in, off_t *off_in, int fd_out, off_t *off_out, size_t len) {
    return copy_file_range(fd_in, off_in, fd_out, off_out, len, 0);
}

ssize_t crs_flistxattr(int fd, char *list, size_t size) { return flistxattr(fd, list, size); }
ssize_t crs_llistxattr(const char *path, char *list, size_t size) { return llistxattr(path, list, size); }
ssize_t crs_fgetxattr(int fd, const char *name, void *value, size_t size) { return fgetxattr(fd, name, value, size); }
ssize_t crs_lgetxattr(const char *path, const char *name, void *value, size_t size) { return lgetxattr(path, name, value, size); }
int crs_fsetxattr(int fd, const char *name, const void *value, size_t size) { return fsetxattr(fd, name, value, size, 0); }
int crs_lsetxattr(const char *path, const char *name, const void *value, size_t size) { return lsetxattr(path, name, value, size, 0); }
int crs_fremovexattr(int fd, const char *name) { return fremovexattr(fd, name); }
int crs_lremovexattr(const char *path, const char *name) { return lremovexattr(path, name); }

int crs_is_mount_root(int fd) {
#ifdef STATX_ATTR_MOUNT_ROOT
    struct statx info;
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &info) != 0) return -1;
    if (!(info.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) return 0;
    return (info.stx_attributes & STATX_ATTR_MOUNT_ROOT) ? 1 : 0;
#else
    (void)fd;
    return 0;
#endif
}

int crs_loop_attach_readonly(const char *image, char *device, size_t device_size) {
    int image_fd = open(image, O_RDONLY | O_CLOEXEC);
    if (image_fd < 0) return -1;
    int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (control < 0) { int e = errno; close(image_fd); errno = e; return -1; }
    // Another process may take the free device between GET_FREE and attaching: retry.
    for (int attempt = 0; attempt < 16; attempt++) {
        int number = ioctl(control, LOOP_CTL_GET_FREE);
        if (number < 0) break;
        snprintf(device, device_size, "/dev/loop%d", number);
        int loop_fd = open(device, O_RDONLY | O_CLOEXEC);
        if (loop_fd < 0) {
            if (errno == ENOENT || errno == ENXIO) continue;
            break;
        }
        struct loop_config config;
        memset(&config, 0, sizeof config);
        config.fd = (unsigned int)image_fd;
        config.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
        strncpy((char *)config.info.lo_file_name, image, LO_NAME_SIZE - 1);
        if (ioctl(loop_fd, LOOP_CONFIGURE, &config) == 0) {
            close(control);
            close(image_fd);
            return loop_fd;
        }
        if (errno == EINVAL || errno == ENOTTY) {
            // Kernels before 5.8: LOOP_SET_FD, then the flags.
            if (ioctl(loop_fd, LOOP_SET_FD, image_fd) == 0) {
                struct loop_info64 info;
                memset(&info, 0, sizeof info);
                info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
                strncpy((char *)info.lo_file_name, image, LO_NAME_SIZE - 1);
                if (ioctl(loop_fd, LOOP_SET_STATUS64, &info) == 0) {
                    close(control);
                    close(image_fd);
                    return loop_fd;
                }
                int e = errno;
                ioctl(loop_fd, LOOP_CLR_FD, 0);
                close(loop_fd);
                errno = e;
                break;
            }
        }
        int e = errno;
        close(loop_fd);
        if (e != EBUSY) { errno = e; break; }
    }
    int e = errno;
    close(control);
    close(image_fd);
    errno = e;
    return -1;
}
