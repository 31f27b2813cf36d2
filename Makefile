# Build and install liblxd the way C libraries install:
#
#   make                      cargo build --release
#   make install              PREFIX=/usr/local by default; DESTDIR for staging
#   make uninstall
#
# Installs $(LIBDIR)/liblxd.so.$(VERSION) with the links liblxd.so.$(MAJOR)
# (the soname) and liblxd.so, liblxd.a, $(INCLUDEDIR)/lxd.h, the C++
# binding's header-only $(INCLUDEDIR)/lxd.hpp with the lxd_kinds.hpp it includes,
# and $(PKGCONFIGDIR)/liblxd.pc. Bindings find the library through pkg-config:
#   pkg-config --cflags --libs liblxd
# For a prefix outside the linker's search path, point PKG_CONFIG_PATH at
# $(PKGCONFIGDIR) and LD_LIBRARY_PATH at $(LIBDIR).

PREFIX       ?= /usr/local
EXEC_PREFIX  ?= $(PREFIX)
LIBDIR       ?= $(EXEC_PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=
CARGO        ?= cargo
INSTALL      ?= install
STRIP        ?= strip
# The release profile keeps line tables for valgrind and debuggers; installed
# copies drop them (about 21 MB -> 3 MB). KEEP_DEBUG=1 keeps them.
KEEP_DEBUG   ?= 0

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))
# What a program linking liblxd.a also needs (rustc --print native-static-libs).
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

OUT := target/release

.PHONY: all install uninstall clean bench
all:
	$(CARGO) build --release

$(OUT)/liblxd.pc: Makefile Cargo.toml
	@mkdir -p $(OUT)
	printf '%s\n' \
	    'prefix=$(PREFIX)' \
	    'exec_prefix=$(EXEC_PREFIX)' \
	    'libdir=$(LIBDIR)' \
	    'includedir=$(INCLUDEDIR)' \
	    '' \
	    'Name: liblxd' \
	    'Description: Client library for the LXD REST API (C ABI)' \
	    'URL: https://canonical.com/lxd' \
	    'Version: $(VERSION)' \
	    'Libs: -L$${libdir} -llxd' \
	    'Libs.private: $(STATIC_LIBS)' \
	    'Cflags: -I$${includedir}' > $@

install: all $(OUT)/liblxd.pc
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 0755 $(OUT)/liblxd.so $(DESTDIR)$(LIBDIR)/liblxd.so.$(VERSION)
	ln -sf liblxd.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblxd.so.$(MAJOR)
	ln -sf liblxd.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/liblxd.so
	$(INSTALL) -m 0644 $(OUT)/liblxd.a $(DESTDIR)$(LIBDIR)/liblxd.a
	@if [ "$(KEEP_DEBUG)" != 1 ]; then \
	    echo "$(STRIP) --strip-debug liblxd.so liblxd.a"; \
	    $(STRIP) --strip-debug $(DESTDIR)$(LIBDIR)/liblxd.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblxd.a; fi
	$(INSTALL) -m 0644 include/lxd.h $(DESTDIR)$(INCLUDEDIR)/lxd.h
	$(INSTALL) -m 0644 bindings/cpp/lxd.hpp $(DESTDIR)$(INCLUDEDIR)/lxd.hpp
	$(INSTALL) -m 0644 bindings/cpp/lxd_kinds.hpp $(DESTDIR)$(INCLUDEDIR)/lxd_kinds.hpp
	$(INSTALL) -m 0644 $(OUT)/liblxd.pc $(DESTDIR)$(PKGCONFIGDIR)/liblxd.pc
	@if [ -z "$(DESTDIR)" ] && [ -w /etc/ld.so.cache ] && command -v ldconfig >/dev/null; then ldconfig; fi
	@rm -f $(OUT)/liblxd.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/liblxd.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblxd.so.$(MAJOR) \
	      $(DESTDIR)$(LIBDIR)/liblxd.so $(DESTDIR)$(LIBDIR)/liblxd.a \
	      $(DESTDIR)$(INCLUDEDIR)/lxd.h $(DESTDIR)$(INCLUDEDIR)/lxd.hpp \
	      $(DESTDIR)$(INCLUDEDIR)/lxd_kinds.hpp \
	      $(DESTDIR)$(PKGCONFIGDIR)/liblxd.pc
	@rmdir $(DESTDIR)$(PKGCONFIGDIR) 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ -w /etc/ld.so.cache ] && command -v ldconfig >/dev/null; then ldconfig; fi

clean:
	$(CARGO) clean

# The one bench command (bench/README.md): liblxd beside LXD's Go client,
# the raw floor, pylxd and lxc. As root, after the README's set-up.
bench:
	bash bench/run-all.sh
