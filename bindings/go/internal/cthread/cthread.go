// Package cthread is test support: it makes liblxd calls from a thread that
// C created (pthread_create), which the Go runtime has never seen, so that
// tests can check that callbacks into Go (warnings) work from such threads.
// cgo is not allowed in _test.go files, hence this package.
package cthread

/*
#cgo pkg-config: liblxd
#cgo LDFLAGS: -lpthread
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <lxd.h>

struct job {
	const char *endpoint;
	int kind;
	const char *key;
	lxd_status status;
	long tid;
	char message[512];
};

static void *run_job(void *arg) {
	struct job *j = arg;
	j->tid = (long)syscall(SYS_gettid);
	lxd_client *c = NULL;
	j->status = lxd_client_new(j->endpoint, NULL, &c);
	if (j->status == LXD_OK) {
		lxd_obj *o = NULL;
		j->status = lxd_get(c, j->kind, j->key, &o);
		lxd_obj_free(o);
	}
	if (j->status != LXD_OK)
		strncpy(j->message, lxd_last_error_message(), sizeof j->message - 1);
	lxd_client_free(c);
	return NULL;
}

// Run the job on a new C thread and wait for it; non-zero if no thread.
static int run_on_new_thread(struct job *j) {
	pthread_t t;
	if (pthread_create(&t, NULL, run_job, j) != 0) return -1;
	return pthread_join(t, NULL);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// GetOnNewThread connects to endpoint and gets the object kind/key from a
// new C thread, and returns that thread's kernel id (gettid). Warnings the
// object raises reach the warning callback on that thread.
func GetOnNewThread(endpoint string, kind int, key string) (tid int, err error) {
	j := (*C.struct_job)(C.calloc(1, C.sizeof_struct_job))
	defer C.free(unsafe.Pointer(j))
	j.endpoint = C.CString(endpoint)
	defer C.free(unsafe.Pointer(j.endpoint))
	j.key = C.CString(key)
	defer C.free(unsafe.Pointer(j.key))
	j.kind = C.int(kind)
	if C.run_on_new_thread(j) != 0 {
		return 0, errors.New("cthread: pthread_create failed")
	}
	if j.status != C.LXD_OK {
		return int(j.tid), fmt.Errorf("cthread: status %d: %s", int(j.status), C.GoString(&j.message[0]))
	}
	return int(j.tid), nil
}
