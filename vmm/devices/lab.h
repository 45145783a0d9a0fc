/* The lab port at FL_PORT_LAB: the guest kernel's requests to the host (lab.c). */
#ifndef FL_LAB_H
#define FL_LAB_H

#include "run/session.h"

#include <stdint.h>

/* One port access: a 4-byte write from CPL0 carries a message's guest-physical
 * address; anything else is ignored, and an `in` reads all ones. */
void fl_lab_io(struct fl_session *s, uint16_t port, int out, uint8_t *data, int size);
/* A port write of size bytes made at privilege level cpl (-1: not asked):
 * only a 4-byte write from CPL0 carries a message. */
void fl_lab_port_write(struct fl_session *s, int cpl, const uint8_t *data, int size);
/* The lab message at guest-physical pa, once the port write is known to come
 * from CPL0: decoded, bounds-checked, acted on, its ret written back. */
void fl_lab_message(struct fl_session *s, uint32_t pa);

#endif
