libmodels_a_SOURCES += \
	models/intent.c \
	models/intent.h \
	models/json-check.c \
	models/json-check.h

EXTRA_DIST += \
	docs/intent.md \
	docs/intent.schema.json \
	examples/ahv-cluster.json \
	examples/scvmm-logical-switch.json \
	examples/vsphere-portgroups.json
