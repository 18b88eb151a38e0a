#ifndef KUBELET_SHIMS_H
#define KUBELET_SHIMS_H
#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <poll.h>

/// Starts `path` with `argv`/`envp` in its own session (setsid), in `cwd` (NULL: unchanged),
/// stdin from /dev/null, stdout/stderr to `stdout_fd`/`stderr_fd`, and `keep_fd_a`/`keep_fd_b`
/// duplicated to fds 3 and 4 in the child (-1: none). Returns 0 and sets *pid, or an errno value.
int ks_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
             int stdout_fd, int stderr_fd, int keep_fd_a, int keep_fd_b, pid_t *pid);

/// A bind mount made in a host process's own mount namespace: `source` (a directory or file of the host)
/// appears at `target`, read-only when `read_only`. A missing target is created (a directory, or an empty file
/// when `source_is_dir` is 0).
struct ks_bind_mount {
    const char *source;
    const char *target;
    int read_only;
    int source_is_dir;
};

/// Where ks_spawn_in_mount_namespace failed (in `failure->stage`); `failure->index` names the mount.
enum {
    KS_STAGE_NONE = 0, KS_STAGE_FORK, KS_STAGE_UNSHARE, KS_STAGE_PROPAGATION, KS_STAGE_MOUNT_TARGET, KS_STAGE_BIND,
    KS_STAGE_READ_ONLY, KS_STAGE_FILES, KS_STAGE_CHDIR, KS_STAGE_EXEC, KS_STAGE_SETNS
};
struct ks_spawn_failure {
    int stage;
    int error;
    int index;
};

/// As ks_spawn, but the child first enters a mount namespace of its own (unshare CLONE_NEWNS) in which the
/// whole tree is made a recursive slave, so nothing mounted there reaches the host while the host's later mounts
/// still show, and then makes `mounts` in order. With `require_namespace` 0 a kernel that refuses the namespace
/// (no CAP_SYS_ADMIN) runs the command in the kubelet's namespace, ignoring `mounts`. With `join_mount_ns_fd`
/// >= 0 (an open /proc/<pid>/ns/mnt) the child joins that namespace instead (setns), for a command run inside a
/// running container (exec probes, exec). Returns 0 and sets *pid, or an errno value with *failure saying which
/// step failed.
int ks_spawn_in_mount_namespace(const char *path, char *const argv[], char *const envp[], const char *cwd,
                                int stdout_fd, int stderr_fd, int keep_fd_a, int keep_fd_b,
                                const struct ks_bind_mount *mounts, int mount_count, int require_namespace,
                                int join_mount_ns_fd, pid_t *pid, struct ks_spawn_failure *failure);

/// pipe2(fds, O_CLOEXEC).
int ks_pipe_cloexec(int fds[2]);

/// pidfd_open(2); -1 with errno on failure.
int ks_pidfd_open(pid_t pid);

/// Process start time in clock ticks since boot (field 22 of /proc/<pid>/stat); 0 if unknown.
unsigned long long ks_process_start_ticks(pid_t pid);

/// Process state letter (field 3 of /proc/<pid>/stat: R, S, D, Z, …); 0 if the process does not exist.
char ks_process_state(pid_t pid);

/// Names the calling thread (as `ps -L` and /proc/<pid>/task/*/comm show it); truncated to 15 bytes.
void ks_set_thread_name(const char *name);

/// sysconf(_SC_CLK_TCK).
long ks_clock_ticks(void);

/// Starts a command for `kubectl exec`: in a new session, optionally in the mount namespace `mntns_fd` (-1: the
/// kubelet's), in `cwd` (NULL: /), with stdin/stdout/stderr from the given fds, or all three on the terminal
/// `tty_path` (made the controlling terminal). `name` without a slash is looked up in `search_path` (a PATH
/// value) inside that namespace. Returns 0 and sets *pid, or the errno of the failed step (the exec's errno
/// when the command could not be started).
int ks_exec_spawn(const char *name, const char *search_path, char *const argv[], char *const envp[], const char *cwd,
                  int stdin_fd, int stdout_fd, int stderr_fd, const char *tty_path, int mntns_fd, pid_t *pid);

/// Opens a pseudo-terminal: the master fd (non-blocking, close-on-exec) and the slave's path in `name`.
int ks_open_pty(char *name, size_t size);

/// TIOCSWINSZ on a terminal fd.
int ks_set_window_size(int fd, unsigned short cols, unsigned short rows);
#endif
