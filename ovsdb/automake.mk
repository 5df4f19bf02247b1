# The flowchain OVSDB schema (docs/ha.md) and its C IDL.  The IDL is
# generated at build time by Open vSwitch's own compiler,
# ovsdb/ovsdb-idlc.in, from the libopenvswitch build tree (--with-ovs, as
# scripts/build-ovs.sh makes it; it is the unpacked source tree, so the
# compiler and its python "ovs" package are there).  Nothing generated is
# committed: change ovsdb/flowchain.ovsschema and the next make rebuilds it.
OVSDB_IDLC = PYTHONPATH="$(OVS_DIR)/python$${PYTHONPATH:+:$$PYTHONPATH}" \
	$(PYTHON3) $(OVS_DIR)/ovsdb/ovsdb-idlc.in

EXTRA_DIST += ovsdb/flowchain.ovsschema ovsdb/flowchain-idl.ann
pkgdata_DATA = ovsdb/flowchain.ovsschema

BUILT_SOURCES = ovsdb/flowchain-idl.h ovsdb/flowchain-idl.c
CLEANFILES += ovsdb/flowchain-idl.ovsidl ovsdb/flowchain-idl.h \
	ovsdb/flowchain-idl.c

noinst_LIBRARIES += libfcidl.a
nodist_libfcidl_a_SOURCES = ovsdb/flowchain-idl.c ovsdb/flowchain-idl.h
# Generated code: OVS's own warning set, not ours (-Werror would trip on
# its unused parameters).
libfcidl_a_CFLAGS = $(SANITIZER_CFLAGS) -w

ovsdb/flowchain-idl.ovsidl: $(srcdir)/ovsdb/flowchain.ovsschema \
		$(srcdir)/ovsdb/flowchain-idl.ann
	@$(MKDIR_P) ovsdb
	$(AM_V_GEN)$(OVSDB_IDLC) annotate $(srcdir)/ovsdb/flowchain.ovsschema \
		$(srcdir)/ovsdb/flowchain-idl.ann > $@.tmp && mv $@.tmp $@

ovsdb/flowchain-idl.h: ovsdb/flowchain-idl.ovsidl
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-header $< > $@.tmp && mv $@.tmp $@

ovsdb/flowchain-idl.c: ovsdb/flowchain-idl.ovsidl
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-source $< > $@.tmp && mv $@.tmp $@
