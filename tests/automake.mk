# C unit tests.  Each prints one "PASS: name" / "FAIL: name" line per case;
# tests/run.sh counts them.
check_PROGRAMS += tests/test-offrame
tests_test_offrame_SOURCES = tests/test-offrame.c tests/ofmsgs.c tests/ofmsgs.h \
	tests/unit.h
tests_test_offrame_LDADD = libcontroller.a $(EXT_LIBS)

check_PROGRAMS += tests/test-flowset
tests_test_flowset_SOURCES = tests/test-flowset.c tests/unit.h
tests_test_flowset_LDADD = libpipelines.a $(EXT_LIBS)

# The explain evaluator: every action it simulates, and a compiled
# pipeline with microsegmentation.
check_PROGRAMS += tests/test-explain
tests_test_explain_SOURCES = tests/test-explain.c tests/unit.h
tests_test_explain_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_explain_LDADD = $(PIPELINES_LIBS)

check_PROGRAMS += tests/test-pipeline
tests_test_pipeline_SOURCES = tests/test-pipeline.c tests/unit.h
tests_test_pipeline_LDADD = $(PIPELINES_LIBS)

# Intent model: unit cases on the examples, then the bad-intent corpus.
check_PROGRAMS += tests/test-intent
tests_test_intent_SOURCES = tests/test-intent.c tests/unit.h
tests_test_intent_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_intent_LDADD = $(MODELS_LIBS)
EXTRA_DIST += tests/intent tests/test-intent-schema.sh tests/cli-lib.sh
tests_test_pipeline_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'

check_PROGRAMS += tests/test-flowsync
tests_test_flowsync_SOURCES = tests/test-flowsync.c tests/ofmsgs.c \
	tests/ofmsgs.h tests/unit.h
tests_test_flowsync_LDADD = $(FLOWCHAIN_LIBS)

# Policy monitor: hit log, policy statistics, the hit-log meter.
check_PROGRAMS += tests/test-polmon
tests_test_polmon_SOURCES = tests/test-polmon.c tests/ofmsgs.c \
	tests/ofmsgs.h tests/unit.h
tests_test_polmon_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_polmon_LDADD = $(FLOWCHAIN_LIBS)
EXTRA_DIST += tests/polmon-intent.json

check_PROGRAMS += tests/test-ctlrpc
tests_test_ctlrpc_SOURCES = tests/test-ctlrpc.c tests/unit.h
tests_test_ctlrpc_LDADD = libcontroller.a $(EXT_LIBS)

check_PROGRAMS += tests/test-tlsbind
tests_test_tlsbind_SOURCES = tests/test-tlsbind.c tests/unit.h
tests_test_tlsbind_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_tlsbind_LDADD = $(FLOWCHAIN_LIBS)

# Gratuitous ARP for a VM that arrived by live migration.
# LACP: LACPDUs and the actor's state machines.
check_PROGRAMS += tests/test-lacp
tests_test_lacp_SOURCES = tests/test-lacp.c tests/unit.h
tests_test_lacp_LDADD = libcontroller.a $(EXT_LIBS)

# Rendezvous hashing of switches over controller instances.
check_PROGRAMS += tests/test-rendezvous
tests_test_rendezvous_SOURCES = tests/test-rendezvous.c tests/unit.h
tests_test_rendezvous_LDADD = libcontroller.a $(EXT_LIBS)

check_PROGRAMS += tests/test-announce
tests_test_announce_SOURCES = tests/test-announce.c tests/unit.h
tests_test_announce_LDADD = $(FLOWCHAIN_LIBS)

# Diagrams: DOT escaping, host filter, live state, determinism.
check_PROGRAMS += tests/test-diagram
tests_test_diagram_SOURCES = tests/test-diagram.c tests/unit.h
tests_test_diagram_LDADD = $(FLOWCHAIN_LIBS)

# Metrics: Prometheus text format (escaping, histograms, families).
check_PROGRAMS += tests/test-metrics
tests_test_metrics_SOURCES = tests/test-metrics.c tests/unit.h
tests_test_metrics_LDADD = libcontroller.a $(EXT_LIBS)

# The incremental compile: patched desired sets equal full compiles over
# chains of changes (pipelines/delta.c, flowset_patch()).
check_PROGRAMS += tests/test-delta
tests_test_delta_SOURCES = tests/test-delta.c tests/unit.h
tests_test_delta_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_delta_LDADD = $(PIPELINES_LIBS)
