/*
 * Stage service_chain (table 40): redirects or mirrors selected traffic
 * through network-function ports.  Service chains come with their own
 * issue; for now the table is a single pass-through flow.
 */
#include <config.h>

#include "pipelines/pipeline.h"
#include "pipelines/stages.h"

/* Adds the service_chain flows: a pass-through to l2_forward. */
void
pipeline_service_chain(struct pipeline_ctx *ctx)
{
    pipeline_add_miss(ctx, PIPELINE_T_SERVICE_CHAIN, true,
                      PIPELINE_T_L2_FORWARD);
}
