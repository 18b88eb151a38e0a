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
