# SPDX-License-Identifier: GPL-2.0-or-later
# hooks/ward-net: the network hook / CNI plugin.  It links spec/'s JSON and
# error helpers but never runtime/: ward itself carries no network code.

# Included before the top Makefile's first rule: keep `all` the default.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

NET_SRCS := $(sort $(wildcard hooks/ward-net/*.c))
NET_OBJS := $(NET_SRCS:%.c=$(BUILD)/%.o)
# The archive: the linker takes json, ward_error and what they need.
NET_SPEC_OBJS := $(BUILD)/libspec.a
NET_PKGS := yajl libnftables libmnl
NET_CFLAGS := $(shell pkg-config --cflags $(NET_PKGS) 2>/dev/null)
NET_LIBS := $(shell pkg-config --libs $(NET_PKGS) 2>/dev/null)
ALL_EXTRA += $(BUILD)/ward-net

.PHONY: install-net

$(BUILD)/hooks/ward-net/%.o: hooks/ward-net/%.c hooks/ward-net/ward-net.h $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(WARD_CFLAGS) $(NET_CFLAGS) -c -o $@ $<

$(BUILD)/ward-net: $(NET_OBJS) $(NET_SPEC_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(NET_LIBS)

install-net: $(BUILD)/ward-net
	install -D -s -m 0755 $(BUILD)/ward-net $(DESTDIR)$(PREFIX)/libexec/ward/ward-net
