#ifndef _INCLUDED_synapses_pre_codeobject
#define _INCLUDED_synapses_pre_codeobject

void _run_synapses_pre_codeobject();

void _debugmsg_synapses_pre_codeobject();

#endif
