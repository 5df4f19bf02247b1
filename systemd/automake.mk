# The systemd unit, its environment file and the sysusers.d file that
# creates the "flowchain" user (docs/operations.md, "Installing").
# "make install" installs the unit in $(systemdsystemunitdir), the
# sysusers.d file as $(sysusersdir)/flowchain.conf and, unless one is
# there already, the environment file as $(sysconfdir)/default/flowchaind.
EXTRA_DIST += \
	systemd/flowchaind.service.in \
	systemd/flowchaind.default \
	systemd/flowchain.sysusers

# sbindir and sysconfdir hold "${prefix}" until make time, so the unit is
# made here rather than by config.status.
systemd/flowchaind.service: $(srcdir)/systemd/flowchaind.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    $(srcdir)/systemd/flowchaind.service.in > $@.tmp && mv $@.tmp $@
CLEANFILES += systemd/flowchaind.service

if INSTALL_SYSTEMD
systemdsystemunit_DATA = systemd/flowchaind.service

install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)' '$(DESTDIR)$(sysconfdir)/default'
	$(INSTALL_DATA) $(srcdir)/systemd/flowchain.sysusers \
	    '$(DESTDIR)$(sysusersdir)/flowchain.conf'
	test -e '$(DESTDIR)$(sysconfdir)/default/flowchaind' || \
	    $(INSTALL_DATA) $(srcdir)/systemd/flowchaind.default \
	        '$(DESTDIR)$(sysconfdir)/default/flowchaind'

# The environment file may hold the operator's options: left in place.
uninstall-local:
	rm -f '$(DESTDIR)$(sysusersdir)/flowchain.conf'
endif

# The Debian package (scripts/package.sh) and its test.
EXTRA_DIST += \
	debian/README.Debian \
	debian/README.source \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/flowchain.dirs \
	debian/flowchain.docs \
	debian/flowchain.examples \
	debian/flowchain.postinst \
	debian/rules \
	debian/source/format \
	scripts/package.sh \
	tests/test-package.sh
