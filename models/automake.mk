libmodels_a_SOURCES += \
	models/addr.c \
	models/compare.c \
	models/host.c \
	models/intent-private.h \
	models/intent.c \
	models/intent.h \
	models/json-check.c \
	models/json-check.h \
	models/limits.c \
	models/network.c \
	models/parse-util.c \
	models/policy.c \
	models/vm.c \
	models/xref.c

EXTRA_DIST += \
	docs/intent.md \
	docs/intent.schema.json \
	examples/ahv-cluster.json \
	examples/scvmm-logical-switch.json \
	examples/vsphere-portgroups.json
