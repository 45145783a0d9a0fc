/* The kernel's console: a 16550 subset at FL_PORT_SERIAL (serial.c). */
#ifndef FL_SERIAL_H
#define FL_SERIAL_H

#include "run/session.h"

#include <stdint.h>

/* One port access of `size` bytes at data; an `in` fills data. */
void fl_serial_io(struct fl_session *s, uint16_t port, int out, uint8_t *data, int size);

#endif
