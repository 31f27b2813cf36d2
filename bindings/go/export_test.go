package lxd

import "sync/atomic"

// LiveHandles is the number of C handles owned by Go values and not yet freed.
func LiveHandles() int64 { return atomic.LoadInt64(&liveHandles) }
