/* SPDX-License-Identifier: ISC */
/* Temporary. */
#include "guest.h"



void check_hostile(void) {}
