libpipelines_a_SOURCES += \
	pipelines/flowset.c \
	pipelines/flowset.h \
	pipelines/portmap.c \
	pipelines/portmap.h \
	pipelines/pipeline.c \
	pipelines/pipeline.h \
	pipelines/stages.h \
	pipelines/cookie.c \
	pipelines/delta.c \
	pipelines/explain.c \
	pipelines/explain.h \
	pipelines/classify.c \
	pipelines/vlan_in.c \
	pipelines/port_security.c \
	pipelines/microseg.c \
	pipelines/service_chain.c \
	pipelines/l2_forward.c \
	pipelines/egress.c \
	pipelines/bond.c
