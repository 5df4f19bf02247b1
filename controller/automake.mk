libcontroller_a_SOURCES += \
	controller/announce.c \
	controller/announce.h \
	controller/ctlserver.c \
	controller/ctlserver.h \
	controller/ctlrpc.c \
	controller/ctlrpc.h \
	controller/diagram.c \
	controller/diagram.h \
	controller/explain-req.c \
	controller/explain-req.h \
	controller/flowsync.c \
	controller/flowsync.h \
	controller/hitlog.c \
	controller/intentdb.c \
	controller/intentdb.h \
	controller/hitlog.h \
	controller/lacp.c \
	controller/lacp.h \
	controller/metrics.c \
	controller/metrics.h \
	controller/metrics-http.c \
	controller/metrics-http.h \
	controller/polmon.c \
	controller/polmon.h \
	controller/polstats.c \
	controller/polstats.h \
	controller/offrame.c \
	controller/stream-tls.c \
	controller/stream-tls.h \
	controller/switchmgr.c \
	controller/switchmgr-compile.c \
	controller/switchmgr.h \
	controller/switchmgr-private.h \
	controller/switchmgr-views.c \
	controller/switchmgr-explain.c \
	controller/switchmgr-roles.c \
	controller/rendezvous.c \
	controller/rendezvous.h \
	controller/ofsession.c \
	controller/ofsession.h \
	controller/offrame.h \
	controller/transport.c \
	controller/transport.h \
	controller/transport-provider.h

sbin_PROGRAMS += flowchaind
flowchaind_SOURCES = controller/flowchaind.c
flowchaind_LDADD = $(FLOWCHAIN_LIBS)

bin_PROGRAMS += flowchainctl
flowchainctl_SOURCES = controller/flowchainctl.c
flowchainctl_LDADD = $(FLOWCHAIN_LIBS)
