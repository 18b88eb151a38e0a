#define _GNU_SOURCE
#include "kubelet_shims.h"
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int ks_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
             int stdout_fd, int stderr_fd, int keep_fd_a, int keep_fd_b, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) { posix_spawn_file_actions_destroy(&actions); return rc; }

    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    if (keep_fd_a >= 0) posix_spawn_file_actions_adddup2(&actions, keep_fd_a, 3);
    if (keep_fd_b >= 0) posix_spawn_file_actions_adddup2(&actions, keep_fd_b, 4);
    /* Nothing else of the kubelet (sockets, epoll fds of NIO and Dispatch) leaks into a container. */
    posix_spawn_file_actions_addclosefrom_np(&actions, 5);
    if (cwd != NULL) posix_spawn_file_actions_addchdir_np(&actions, cwd);

    rc = posix_spawn(pid, path, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc;
}

int ks_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Reads /proc/<pid>/stat and returns a pointer to field 3 (the state), skipping the command name, which may
   contain spaces and parentheses. NULL if the process does not exist. */
static char *stat_fields(pid_t pid, char *buf, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p || p[1] == 0) return NULL;
    return p + 2;
}

char ks_process_state(pid_t pid) {
    char buf[4096];
    char *p = stat_fields(pid, buf, sizeof buf);
    return p ? *p : 0;
}

unsigned long long ks_process_start_ticks(pid_t pid) {
    char buf[4096];
    char *p = stat_fields(pid, buf, sizeof buf);
    if (!p) return 0;
    int field = 3;
    while (*p && field < 22) {
        if (*p == ' ') field++;
        p++;
    }
    unsigned long long ticks = 0;
    sscanf(p, "%llu", &ticks);
    return ticks;
}

long ks_clock_ticks(void) { return sysconf(_SC_CLK_TCK); }

int ks_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

void ks_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = '\0';
    pthread_setname_np(pthread_self(), truncated);
}

/* ---- host processes in their own mount namespace ----
   Everything between fork and exec uses system calls only (no allocation, no locks): the kubelet has many threads,
   and the child has a copy of their memory without them. */

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>

static void report(int fd, int stage, int error, int index) {
    struct ks_spawn_failure f = { stage, error, index };
    ssize_t ignored = write(fd, &f, sizeof f);
    (void)ignored;
    _exit(127);
}

/* mkdir -p with a copy on the stack. */
static int make_parents(const char *path, int last_too) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            if (buf[i] == 0 && !last_too) break;
            char saved = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return errno;
            buf[i] = saved;
        }
    }
    return 0;
}

static int ensure_target(const char *target, int is_dir) {
    struct stat st;
    if (stat(target, &st) == 0) return 0;
    if (is_dir) return make_parents(target, 1);
    int rc = make_parents(target, 0);
    if (rc != 0) return rc;
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

int ks_spawn_in_mount_namespace(const char *path, char *const argv[], char *const envp[], const char *cwd,
                                int stdout_fd, int stderr_fd, int keep_fd_a, int keep_fd_b,
                                const struct ks_bind_mount *mounts, int mount_count, int require_namespace,
                                int join_mount_ns_fd, pid_t *pid, struct ks_spawn_failure *failure) {
    failure->stage = KS_STAGE_NONE;
    failure->error = 0;
    failure->index = -1;
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0) { failure->stage = KS_STAGE_FORK; failure->error = errno; return errno; }

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(status_pipe[0]); close(status_pipe[1]);
        failure->stage = KS_STAGE_FORK; failure->error = e;
        return e;
    }
    if (child == 0) {
        int status_fd = status_pipe[1];
        /* Default dispositions and an empty mask, as POSIX_SPAWN_SETSIGDEF | SETSIGMASK give ks_spawn's children. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();

        if (join_mount_ns_fd >= 0) {
            if (setns(join_mount_ns_fd, CLONE_NEWNS) != 0) report(status_fd, KS_STAGE_SETNS, errno, -1);
        } else if (unshare(CLONE_NEWNS) != 0) {
            if (require_namespace) report(status_fd, KS_STAGE_UNSHARE, errno, -1);
        } else {
            if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) report(status_fd, KS_STAGE_PROPAGATION, errno, -1);
            for (int i = 0; i < mount_count; i++) {
                int rc = ensure_target(mounts[i].target, mounts[i].source_is_dir);
                if (rc != 0) report(status_fd, KS_STAGE_MOUNT_TARGET, rc, i);
                if (mount(mounts[i].source, mounts[i].target, NULL, MS_BIND | MS_REC, NULL) != 0)
                    report(status_fd, KS_STAGE_BIND, errno, i);
                if (mounts[i].read_only &&
                    mount(NULL, mounts[i].target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
                    report(status_fd, KS_STAGE_READ_ONLY, errno, i);
            }
        }

        /* Move the descriptors the child keeps above the ones they go to, then into place. */
        int out = fcntl(stdout_fd, F_DUPFD_CLOEXEC, 16);
        int err = fcntl(stderr_fd, F_DUPFD_CLOEXEC, 16);
        int ka = keep_fd_a >= 0 ? fcntl(keep_fd_a, F_DUPFD_CLOEXEC, 16) : -1;
        int kb = keep_fd_b >= 0 ? fcntl(keep_fd_b, F_DUPFD_CLOEXEC, 16) : -1;
        int st = fcntl(status_fd, F_DUPFD_CLOEXEC, 16);
        if (out < 0 || err < 0 || st < 0 || (keep_fd_a >= 0 && ka < 0) || (keep_fd_b >= 0 && kb < 0))
            report(status_fd, KS_STAGE_FILES, errno, -1);
        status_fd = st;
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
            (ka >= 0 && dup2(ka, 3) < 0) || (kb >= 0 && dup2(kb, 4) < 0))
            report(status_fd, KS_STAGE_FILES, errno, -1);
        /* The status pipe stays (close-on-exec) at 5; nothing else of the kubelet reaches the container. */
        if (dup3(status_fd, 5, O_CLOEXEC) < 0) report(status_fd, KS_STAGE_FILES, errno, -1);
        status_fd = 5;
        if (syscall(SYS_close_range, 6U, ~0U, 0) != 0) {
            for (int fd = 6; fd < 65536; fd++) close(fd);
        }
        if (cwd != NULL && chdir(cwd) != 0) report(status_fd, KS_STAGE_CHDIR, errno, -1);
        execve(path, argv, envp);
        report(status_fd, KS_STAGE_EXEC, errno, -1);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(status_pipe[1]);
    struct ks_spawn_failure f;
    ssize_t n;
    do { n = read(status_pipe[0], &f, sizeof f); } while (n < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (n == (ssize_t)sizeof f) {
        int ignored_status;
        while (waitpid(child, &ignored_status, 0) < 0 && errno == EINTR) {}
        *failure = f;
        return f.error != 0 ? f.error : EINVAL;
    }
    *pid = child;
    return 0;
}

#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

static void exec_child(const char *name, const char *search_path, char *const argv[], char *const envp[], int report) {
    int err = ENOENT;
    if (strchr(name, '/') != NULL) {
        execve(name, argv, envp);
        err = errno;
    } else {
        const char *p = search_path ? search_path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        char candidate[4096];
        while (*p) {
            const char *end = strchr(p, ':');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len > 0 && len + strlen(name) + 2 < sizeof candidate) {
                memcpy(candidate, p, len);
                candidate[len] = '/';
                strcpy(candidate + len + 1, name);
                execve(candidate, argv, envp);
                if (errno != ENOENT && errno != ENOTDIR) err = errno;
            }
            if (!end) break;
            p = end + 1;
        }
    }
    (void)!write(report, &err, sizeof err);
    _exit(127);
}

int ks_exec_spawn(const char *name, const char *search_path, char *const argv[], char *const envp[], const char *cwd,
                  int stdin_fd, int stdout_fd, int stderr_fd, const char *tty_path, int mntns_fd, pid_t *pid) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t child = fork();
    if (child < 0) { int e = errno; close(report[0]); close(report[1]); return e; }
    if (child == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
        setsid();
        int err = 0;
        if (mntns_fd >= 0 && setns(mntns_fd, CLONE_NEWNS) != 0) err = errno;
        if (!err && tty_path != NULL) {
            int slave = open(tty_path, O_RDWR);
            if (slave < 0) err = errno;
            else {
                ioctl(slave, TIOCSCTTY, 0);
                dup2(slave, 0); dup2(slave, 1); dup2(slave, 2);
                if (slave > 2) close(slave);
            }
        } else if (!err) {
            int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
            int out = stdout_fd >= 0 ? stdout_fd : open("/dev/null", O_WRONLY);
            int errfd = stderr_fd >= 0 ? stderr_fd : open("/dev/null", O_WRONLY);
            dup2(in, 0); dup2(out, 1); dup2(errfd, 2);
        }
        if (!err && chdir(cwd ? cwd : "/") != 0) err = errno;
        if (err) { (void)!write(report[1], &err, sizeof err); _exit(127); }
        /* Nothing of the kubelet (sockets, NIO's epoll fds) reaches the command; the report pipe is CLOEXEC. */
        for (int fd = 3; fd < 1024; fd++) if (fd != report[1]) close(fd);
        exec_child(name, search_path, argv, envp, report[1]);
    }
    close(report[1]);
    int err = 0;
    ssize_t n;
    do { n = read(report[0], &err, sizeof err); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof err && err != 0) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        return err;
    }
    *pid = child;
    return 0;
}

int ks_open_pty(char *name, size_t size) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (master < 0) return -1;
    if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, size) != 0) {
        close(master);
        return -1;
    }
    return master;
}

int ks_set_window_size(int fd, unsigned short cols, unsigned short rows) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_col = cols;
    ws.ws_row = rows;
    return ioctl(fd, TIOCSWINSZ, &ws);
}
