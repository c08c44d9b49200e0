/* Body of a small dumper that tools/gen_event_table.sh compiles against an event table
 * (the falco_event_schema crate's, or an older libs release's) to compare them. Prints one
 * line per event: code name flags category nparams, then name:type:fmt:info per parameter. */
#include <stdio.h>
#include <string.h>

static const char *info_name(const void *p) {
	for(const struct named *t = flag_tables; t->name; t++)
		if(t->ptr == p) return t->name;
	return "-";
}

int main(void) {
	for(int e = 0; e < PPM_EVENT_MAX; e++) {
		const struct ppm_event_info *ei = &g_event_info[e];
		printf("%d %s %u %u %u", e, ei->name, (unsigned)ei->flags, (unsigned)ei->category,
		       ei->nparams);
		for(unsigned i = 0; i < ei->nparams; i++) {
			const struct ppm_param_info *pi = &ei->params[i];
			putchar(' ');
			for(const char *c = pi->name; *c; c++) putchar(*c == ' ' || *c == ':' ? '_' : *c);
			printf(":%d:%d:%s", pi->type, pi->fmt,
			       pi->type == PT_FSRELPATH ? "-" : info_name(pi->info));
		}
		printf("\n");
	}
	return 0;
}
