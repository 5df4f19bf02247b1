/*
 * Stages microseg_out (table 30) and microseg_in (table 55): the
 * microsegmentation stage, source side and destination side.  Its rules
 * (conntrack, categories, policies) come with their own issue; for now
 * each table is a single pass-through flow.
 */
#include <config.h>

#include "pipelines/pipeline.h"
#include "pipelines/stages.h"

/* Adds the microseg_out flows: a pass-through to service_chain. */
void
pipeline_microseg_out(struct pipeline_ctx *ctx)
{
    pipeline_add_miss(ctx, PIPELINE_T_MICROSEG_OUT, true,
                      PIPELINE_T_SERVICE_CHAIN);
}

/* Adds the microseg_in flows: a pass-through to egress. */
void
pipeline_microseg_in(struct pipeline_ctx *ctx)
{
    pipeline_add_miss(ctx, PIPELINE_T_MICROSEG_IN, true, PIPELINE_T_EGRESS);
}
