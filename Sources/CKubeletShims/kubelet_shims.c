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
#include <sys/wait.h>

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
