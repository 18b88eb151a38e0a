#ifndef KS_SYSTEMD_H
#define KS_SYSTEMD_H
#include <stdint.h>

/// sd_notify(3) through libsystemd, loaded with dlopen the first time a process runs under systemd (NOTIFY_SOCKET
/// is set). Outside systemd nothing is loaded and 0 is returned, as sd_notify itself does without NOTIFY_SOCKET.
/// libsystemd pulls in libgcrypt, liblz4, libzstd, liblzma and libcap: about 1 MiB of resident memory that a
/// kubelet started by hand or by a test has no use for. Negative errno when libsystemd cannot be loaded.
int ks_sd_notify(int unset_environment, const char *state);

/// sd_watchdog_enabled(3), loaded the same way; 0 outside systemd.
int ks_sd_watchdog_enabled(int unset_environment, uint64_t *usec);
#endif
