/*
 * The "hitlog" vlog module: the policy hit log (polmon.c) logs through it,
 * so `vlog/set hitlog:file:info` and friends route or silence it apart
 * from everything else.
 */
#include <config.h>

#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(hitlog);

void hitlog_emit(const char *line);

/* Logs 'line', one policy hit, at INFO. */
void
hitlog_emit(const char *line)
{
    VLOG_INFO("%s", line);
}
