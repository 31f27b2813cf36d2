/* See shims.h. */
#include "shims.h"
#include "_cgo_export.h"

static int lxdgo_output_cb(int stream, const uint8_t *data, size_t n, void *ud) {
	return lxdgoOutput(stream, (uint8_t *)data, n, (uintptr_t)ud);
}

static int lxdgo_progress_cb(uint64_t done, uint64_t total, void *ud) {
	return lxdgoProgress(done, total, (uintptr_t)ud);
}

static int lxdgo_event_cb(lxd_status status, const char *event, void *ud) {
	return lxdgoEvent(status, (char *)event, (uintptr_t)ud);
}

static void lxdgo_warning_cb(const char *cls, const char *attr, const char *msg, void *ud) {
	(void)ud;
	lxdgoWarning((char *)cls, (char *)attr, (char *)msg);
}

lxd_status lxdgo_exec_stream(lxd_obj *o, const char *cmd, const char *opts, const uint8_t *in,
                             size_t in_len, uintptr_t h, int *code) {
	return lxd_instance_exec_stream(o, cmd, opts, in, in_len, h ? lxdgo_output_cb : NULL,
	                                (void *)h, code);
}

lxd_status lxdgo_file_push(lxd_obj *o, const char *local, const char *remote, const char *opts,
                           uintptr_t h) {
	return lxd_instance_file_push(o, local, remote, opts, h ? lxdgo_progress_cb : NULL, (void *)h);
}

lxd_status lxdgo_file_pull(lxd_obj *o, const char *remote, const char *local, uintptr_t h) {
	return lxd_instance_file_pull(o, remote, local, h ? lxdgo_progress_cb : NULL, (void *)h);
}

lxd_status lxdgo_file_pull_ext(lxd_obj *o, const char *remote, const char *local, const char *opts,
                               uintptr_t h) {
	return lxd_instance_file_pull_ext(o, remote, local, opts, h ? lxdgo_progress_cb : NULL,
	                                  (void *)h);
}

lxd_status lxdgo_events_listen(lxd_client *c, const char *types, uintptr_t h,
                               lxd_events_listener **out) {
	return lxd_events_listen(c, types, lxdgo_event_cb, (void *)h, out);
}

lxd_status lxdgo_obj_action_to_file(const lxd_obj *o, const char *name, const char *args,
                                    const char *local, uintptr_t h) {
	return lxd_obj_action_to_file(o, name, args, local, h ? lxdgo_progress_cb : NULL, (void *)h);
}

lxd_status lxdgo_instance_backup_export(const lxd_obj *o, const char *local, uintptr_t h) {
	return lxd_instance_backup_export(o, NULL, local, h ? lxdgo_progress_cb : NULL, (void *)h);
}

lxd_status lxdgo_storage_volume_backup_export(const lxd_obj *o, const char *local, uintptr_t h) {
	return lxd_storage_volume_backup_export(o, NULL, local, h ? lxdgo_progress_cb : NULL, (void *)h);
}

lxd_status lxdgo_storage_volume_import(const lxd_obj *pool, const char *local, const char *name, bool wait,
                                       uintptr_t h, lxd_obj **out) {
	return lxd_storage_volume_import(pool, local, name, wait, h ? lxdgo_progress_cb : NULL, (void *)h, out);
}

lxd_status lxdgo_instance_import(const lxd_client *c, const char *local, const char *opts, bool wait,
                                 uintptr_t h, lxd_obj **out) {
	return lxd_instance_import(c, local, opts, wait, h ? lxdgo_progress_cb : NULL, (void *)h, out);
}

lxd_status lxdgo_image_upload(const lxd_client *c, const char *local, const char *rootfs,
                              const char *opts, bool wait, uintptr_t h, lxd_obj **out) {
	return lxd_image_upload(c, local, rootfs, opts, wait, h ? lxdgo_progress_cb : NULL, (void *)h, out);
}

lxd_status lxdgo_image_export(const lxd_obj *o, const char *folder, uintptr_t h, char **files) {
	return lxd_image_export(o, folder, h ? lxdgo_progress_cb : NULL, (void *)h, files);
}

void lxdgo_set_warning_callback(int on) {
	lxd_set_warning_callback(on ? lxdgo_warning_cb : NULL, NULL);
}
