/* C trampolines between liblxd's callbacks and the Go functions that
 * callbacks.go exports. The user data pointer carries a runtime/cgo.Handle
 * (an integer), never a Go pointer. */
#ifndef LXDGO_SHIMS_H
#define LXDGO_SHIMS_H

#include <stdint.h>
#include <stddef.h>
#include <lxd.h>

lxd_status lxdgo_exec_stream(lxd_obj *o, const char *cmd, const char *opts, const uint8_t *in,
                             size_t in_len, uintptr_t h, int *code);
lxd_status lxdgo_file_push(lxd_obj *o, const char *local, const char *remote, const char *opts,
                           uintptr_t h);
lxd_status lxdgo_file_pull(lxd_obj *o, const char *remote, const char *local, uintptr_t h);
lxd_status lxdgo_file_pull_ext(lxd_obj *o, const char *remote, const char *local, const char *opts,
                               uintptr_t h);
lxd_status lxdgo_events_listen(lxd_client *c, const char *types, uintptr_t h,
                               lxd_events_listener **out);
lxd_status lxdgo_obj_action_to_file(const lxd_obj *o, const char *name, const char *args,
                                    const char *local, uintptr_t h);
lxd_status lxdgo_instance_backup_export(const lxd_obj *o, const char *local, uintptr_t h);
lxd_status lxdgo_instance_import(const lxd_client *c, const char *local, const char *opts, bool wait,
                                 uintptr_t h, lxd_obj **out);
lxd_status lxdgo_image_upload(const lxd_client *c, const char *local, const char *rootfs,
                              const char *opts, bool wait, uintptr_t h, lxd_obj **out);
lxd_status lxdgo_image_export(const lxd_obj *o, const char *folder, uintptr_t h, char **files);
lxd_status lxdgo_storage_volume_backup_export(const lxd_obj *o, const char *local, uintptr_t h);
lxd_status lxdgo_storage_volume_import(const lxd_obj *pool, const char *local, const char *name, bool wait,
                                       uintptr_t h, lxd_obj **out);
void lxdgo_set_warning_callback(int on);

#endif
