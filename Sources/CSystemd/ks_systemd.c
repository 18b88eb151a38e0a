#include "ks_systemd.h"
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

typedef int (*sd_notify_fn)(int, const char *);
typedef int (*sd_watchdog_enabled_fn)(int, uint64_t *);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static sd_notify_fn notify_fn;
static sd_watchdog_enabled_fn watchdog_fn;

static void load(void) {
    void *handle = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) return;
    notify_fn = (sd_notify_fn)dlsym(handle, "sd_notify");
    watchdog_fn = (sd_watchdog_enabled_fn)dlsym(handle, "sd_watchdog_enabled");
}

static int under_systemd(void) {
    const char *socket = getenv("NOTIFY_SOCKET");
    return socket != NULL && socket[0] != '\0';
}

int ks_sd_notify(int unset_environment, const char *state) {
    if (!under_systemd()) return 0;
    pthread_once(&load_once, load);
    return notify_fn ? notify_fn(unset_environment, state) : -ENOSYS;
}

int ks_sd_watchdog_enabled(int unset_environment, uint64_t *usec) {
    // WATCHDOG_USEC comes with NOTIFY_SOCKET in a Type=notify unit; without it there is no watchdog to feed.
    if (!under_systemd()) return 0;
    pthread_once(&load_once, load);
    return watchdog_fn ? watchdog_fn(unset_environment, usec) : -ENOSYS;
}
